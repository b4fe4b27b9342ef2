"""Only configured proxies may name the client: a service started as `make up` starts it ignores a
forged ``X-Forwarded-For`` for its rate limits and its audit trail, and believes a configured proxy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from kinerja import infra
from kinerja.platform import ServiceProcesses
from tests.conftest import auth, new_region_id, settings_endpoints

pytestmark = pytest.mark.e2e

READS_PER_ADDRESS = 3


def feedback_process(data_dir, trusted_proxies: str) -> Iterator[str]:
    """Feedback as its own process (``kinerja serve feedback``), with tight citizen read limits."""
    endpoints = settings_endpoints()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KINERJA_PUBLIC_READS_PER_ADDRESS", str(READS_PER_ADDRESS))
        patch.setenv("KINERJA_PUBLIC_READS_PER_DEVICE", "1000")
        patch.setenv("KINERJA_TRUSTED_PROXY_ADDRESSES", trusted_proxies)
        services = ServiceProcesses(endpoints, data_dir, ports={"feedback": infra.free_port()})
        services.start("feedback")
    try:
        services.wait_healthy(timeout=90)
        yield f"http://127.0.0.1:{services.ports['feedback']}"
    finally:
        services.stop_all()


@pytest.fixture(scope="module")
def without_proxies(infrastructure, data_dir) -> Iterator[str]:
    yield from feedback_process(data_dir, "[]")


@pytest.fixture(scope="module")
def behind_local_proxy(infrastructure, data_dir) -> Iterator[str]:
    yield from feedback_process(data_dir, '["127.0.0.1"]')


def forged(index: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{index}"}


async def test_a_forged_forwarded_for_does_not_escape_the_citizen_rate_limit(without_proxies):
    path = f"/v1/public/regions/{new_region_id()}/units/u-{uuid.uuid4().hex[:6]}/services"
    async with httpx.AsyncClient(base_url=without_proxies, timeout=10) as http:
        for index in range(READS_PER_ADDRESS):
            assert (await http.get(path, headers=forged(index))).status_code != 429
        answers = [(await http.get(path, headers=forged(100 + index))).status_code for index in range(10)]
    assert set(answers) == {429}


async def test_the_audit_trail_records_the_socket_peer_not_a_forged_address(without_proxies, make_token):
    region = new_region_id()
    admin = make_token("region_admin", region=region)
    async with httpx.AsyncClient(base_url=without_proxies, timeout=10) as http:
        added = await http.post(
            "/v1/complaint-calendar/holidays",
            json={"day": "2026-08-17", "name": "Hari Kemerdekaan"},
            headers=auth(admin) | forged(7),
        )
        assert added.status_code == 201, added.text
        trail = await http.get("/v1/audit-log", params={"action": "holiday.add"}, headers=auth(admin))
    assert [entry["client_address"] for entry in trail.json()["entries"]] == ["127.0.0.1"]


async def test_a_configured_proxy_names_the_client(behind_local_proxy, make_token):
    region = new_region_id()
    admin = make_token("region_admin", region=region)
    async with httpx.AsyncClient(base_url=behind_local_proxy, timeout=10) as http:
        added = await http.post(
            "/v1/complaint-calendar/holidays",
            json={"day": "2026-08-17", "name": "Hari Kemerdekaan"},
            headers=auth(admin) | {"X-Forwarded-For": "203.0.113.50"},
        )
        assert added.status_code == 201, added.text
        trail = await http.get("/v1/audit-log", params={"action": "holiday.add"}, headers=auth(admin))
    assert [entry["client_address"] for entry in trail.json()["entries"]] == ["203.0.113.50"]
