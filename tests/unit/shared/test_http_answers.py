"""What a hot route answers and reads from the scope as Starlette's own classes would."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from shared.http import JsonBytesResponse, client_address


@pytest.mark.parametrize("status_code", [200, 201, 409])
@pytest.mark.parametrize("body", [b"", b"{}", b'{"activity_id":"a1b2c3d4"}', '{"note":"caf\u00e9"}'.encode()])
def test_json_bytes_answer_as_starlettes_response(body: bytes, status_code: int) -> None:
    lean = JsonBytesResponse(body, status_code)
    usual = Response(body, status_code=status_code, media_type="application/json")
    assert (lean.body, lean.status_code, lean.raw_headers) == (
        usual.body,
        usual.status_code,
        usual.raw_headers,
    )
    assert (lean.media_type, lean.background) == (usual.media_type, usual.background)


def test_each_answer_has_headers_of_its_own() -> None:
    first, second = JsonBytesResponse(b"{}"), JsonBytesResponse(b"{}")
    first.raw_headers.append((b"x-correlation-id", b"abc"))
    assert second.raw_headers == [(b"content-length", b"2"), (b"content-type", b"application/json")]


@pytest.mark.parametrize("client", [("10.1.2.3", 51000), ["2001:db8::1", 443], None])
def test_client_address_is_requests_client_host(client: object) -> None:
    scope = {"type": "http", "headers": []} | ({"client": client} if client is not None else {})
    request = Request(scope)
    assert client_address(request) == (request.client.host if request.client else None)
