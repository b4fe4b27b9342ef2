"""Every error any route of any service can answer has the platform's one shape, in both languages.

The route tables are walked, and each route is sent the classes of bad input every HTTP API meets:
an unknown address, a method the address does not take, a body that is not JSON, a body of another
content type, a JSON body of the wrong type, and a body over the limit. Each answer must be
``{"error": {"code", "field", "message", "message_id"}}`` with an Indonesian ``message_id`` (not
the English message again, nor English words of pydantic or the framework).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinerja.services import SERVICE_NAMES
from tests.contract.test_access_policies import (
    ALL_ENDPOINTS,
    Endpoint,
    _forged_tokens,
    clients,
    signing_key,
    token,
)
from tests.contract.test_request_guards import READING, body_limit

__all__ = ["clients", "signing_key"]  # the access tests' module fixtures: the APIs in process, their key

ENGLISH_WORDS = re.compile(
    r"\b(the|should|must|is|are|required|field|input|valid|invalid|not found|allowed|error|body)\b", re.I
)
JSON_ROUTES = [e for e in ALL_ENDPOINTS if READING.get((e.service, e.method, e.path)) == "application/json"]
BODY_ROUTES = [e for e in ALL_ENDPOINTS if (e.service, e.method, e.path) in READING]
METHODS_BY_PATH: dict[tuple[str, str], set[str]] = {}
for _endpoint in ALL_ENDPOINTS:
    METHODS_BY_PATH.setdefault((_endpoint.service, _endpoint.path), set()).add(_endpoint.method)


def assert_one_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    """The answer has the status, the one error shape, and a message in each language."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "field", "message", "message_id"} <= set(error), error
    assert isinstance(error["code"], str)
    assert error["code"]
    assert error["message"]
    assert error["message_id"]
    assert error["message_id"] != error["message"], error
    for text in (error["message_id"], *(detail["message_id"] for detail in error.get("details", []))):
        assert not ENGLISH_WORDS.search(text), f"English in the Indonesian message: {text!r}"
    return dict(error)


def headers_for(signing_key: Path, endpoint: Endpoint, **extra: str) -> dict[str, str]:
    if endpoint.public:
        return extra
    assert endpoint.roles is not None
    roles = sorted(role.value for role in endpoint.roles)
    return {"Authorization": f"Bearer {token(signing_key, roles=roles)}", **extra}


@pytest.mark.parametrize("service", SERVICE_NAMES)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_an_unknown_address(clients: dict[str, httpx.AsyncClient], service: str, method: str) -> None:
    response = await clients[service].request(method, "/v1/no-such-thing/at-all")
    assert assert_one_shape(response, 404)["code"] == "no_such_route"


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=str)
async def test_a_method_the_address_does_not_take(
    clients: dict[str, httpx.AsyncClient], endpoint: Endpoint
) -> None:
    taken = METHODS_BY_PATH[(endpoint.service, endpoint.path)]
    method = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in taken)
    response = await clients[endpoint.service].request(method, endpoint.sample_path)
    error = assert_one_shape(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response.headers["allow"]


@pytest.mark.parametrize("endpoint", JSON_ROUTES, ids=str)
async def test_a_body_that_is_not_json(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, endpoint: Endpoint
) -> None:
    headers = headers_for(signing_key, endpoint, **{"Content-Type": "application/json"})
    response = await clients[endpoint.service].request(
        endpoint.method, endpoint.sample_path, content=b'{"unfinished": ', headers=headers
    )
    assert assert_one_shape(response, 422)["code"] == "invalid_json"


@pytest.mark.parametrize("endpoint", JSON_ROUTES, ids=str)
async def test_a_body_of_another_content_type(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, endpoint: Endpoint
) -> None:
    headers = headers_for(signing_key, endpoint, **{"Content-Type": "text/plain"})
    response = await clients[endpoint.service].request(
        endpoint.method, endpoint.sample_path, content=b"{}", headers=headers
    )
    assert assert_one_shape(response, 415)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("endpoint", JSON_ROUTES, ids=str)
async def test_a_json_body_of_the_wrong_type(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, endpoint: Endpoint
) -> None:
    response = await clients[endpoint.service].request(
        endpoint.method,
        endpoint.sample_path,
        json=[[["nested"]], 12],
        headers=headers_for(signing_key, endpoint),
    )
    assert assert_one_shape(response, 422)["code"] == "invalid_input"


@pytest.mark.parametrize("endpoint", BODY_ROUTES, ids=str)
async def test_a_body_over_the_limit(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, endpoint: Endpoint
) -> None:
    content_type = READING[(endpoint.service, endpoint.method, endpoint.path)]
    response = await clients[endpoint.service].request(
        endpoint.method,
        endpoint.sample_path,
        content=b" " * (body_limit(endpoint) + 1),
        headers=headers_for(signing_key, endpoint, **{"Content-Type": content_type}),
    )
    assert assert_one_shape(response, 413)["code"] == "too_large"


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_an_unreadable_multipart_body(
    clients: dict[str, httpx.AsyncClient], signing_key: Path, service: str
) -> None:
    multipart = [
        e
        for e in BODY_ROUTES
        if e.service == service and READING[(e.service, e.method, e.path)].startswith("multipart/")
    ]
    for endpoint in multipart:
        response = await clients[service].request(
            endpoint.method,
            endpoint.sample_path,
            content=b"not multipart at all",
            headers=headers_for(
                signing_key, endpoint, **{"Content-Type": "multipart/form-data; boundary=xyz"}
            ),
        )
        assert assert_one_shape(response, 400)["code"] == "unreadable_body"


@pytest.mark.parametrize("kind", ["alg none", "expired", "unknown role", "not a token", "wrong audience"])
async def test_a_refused_token(clients: dict[str, httpx.AsyncClient], signing_key: Path, kind: str) -> None:
    forged = _forged_tokens(signing_key)[kind]
    response = await clients["planning"].get("/v1/units", headers={"Authorization": f"Bearer {forged}"})
    assert assert_one_shape(response, 401)["code"] in {"invalid_token", "bad_algorithm"}
