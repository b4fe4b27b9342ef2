"""A caller's correlation id is kept only when it is well formed; anything else is replaced."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from shared.http import create_app

GENERATED = re.compile(r"[0-9a-f]{32}")


async def correlation_id_answered(headers: list[tuple[bytes, bytes]]) -> str:
    app = create_app(title="t", description="t", routers=[], readiness_checks={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/healthz", headers=headers)
    return response.headers["x-correlation-id"]


@pytest.mark.parametrize(
    "sent",
    [str(uuid.uuid4()), uuid.uuid4().hex, "web-7Hq2_a9ZkLm0", "A" * 64],
)
async def test_a_well_formed_correlation_id_is_kept(sent):
    assert await correlation_id_answered([(b"x-correlation-id", sent.encode())]) == sent


@pytest.mark.parametrize(
    "sent",
    [
        "<script>alert(1)</script>",
        "abc def ghi",
        "short",
        "A" * 65,
        "-leading-dash-1234",
        "ünïcode-identifier",
    ],
)
async def test_a_malformed_correlation_id_is_replaced_by_a_generated_one(sent):
    answered = await correlation_id_answered([(b"x-correlation-id", sent.encode())])
    assert GENERATED.fullmatch(answered), answered


async def test_two_correlation_ids_on_one_request_are_replaced_by_a_generated_one():
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    answered = await correlation_id_answered(
        [(b"x-correlation-id", first.encode()), (b"x-correlation-id", second.encode())]
    )
    assert GENERATED.fullmatch(answered)
    assert answered not in (first, second)
