"""Operators' usual Kafka tools read the platform's topics on the default broker: kcat, on librdkafka."""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

import pytest

from shared.settings import BrokerKind, ServiceSettings
from tests.conftest import auth, new_region_id, region_published, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("kcat") is None,
        reason="kcat is not installed (`make test` installs Debian's kcat with apt-get when run as root)",
    ),
]


async def test_kcat_reads_an_event_the_platform_published(start_service: Any, make_token: Any) -> None:
    if shutil.which("kcat") is None:
        pytest.skip(
            "kcat is not installed (`make test` installs Debian's kcat with apt-get when run as root)"
        )
    settings = ServiceSettings()
    if settings.kafka_broker is BrokerKind.TANSU:
        pytest.skip("librdkafka clients cannot talk to Tansu (the fallback broker)")
    planning = await start_service("planning", relay=True)
    assert planning.client is not None
    region = new_region_id()
    response = await planning.client.post(
        "/v1/regions",
        json={"region_id": region, "name": "Kota Kcat"},
        headers=auth(make_token("platform_admin")),
    )
    assert response.status_code == 201, response.text

    await wait_until(lambda: region_published(planning, region))
    # -e: exit at the end of every partition; -J: each message as a JSON envelope.
    kcat = await asyncio.create_subprocess_exec(
        "kcat",
        "-C",
        "-b",
        settings.kafka_bootstrap_servers,
        "-t",
        "planning.region.v1",
        "-o",
        "beginning",
        "-e",
        "-J",
        "-q",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(kcat.communicate(), timeout=60)
    assert kcat.returncode == 0, err.decode()
    messages = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    ours = [m for m in messages if m["key"] == region]
    assert len(ours) == 1, err.decode()
    envelope = json.loads(ours[0]["payload"])
    assert envelope["type"] == "RegionRegistered"
    assert envelope["payload"]["region_id"] == region
