"""A guarded route reads the token from the scope's headers as ``bearer_scheme`` (FastAPI's
``HTTPBearer``) reads it from a ``Request``: the same token, or none, for every form of the header."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from shared.route_roles import bearer_scheme, bearer_token

HEADERS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"authorization", b"")],
    [(b"authorization", b"Bearer")],
    [(b"authorization", b"Bearer ")],
    [(b"authorization", b"Bearer    ")],
    [(b"authorization", b"Bearer abc.def.ghi")],
    [(b"authorization", b"bearer abc.def.ghi")],
    [(b"authorization", b"BEARER abc.def.ghi")],
    [(b"authorization", b"Bearer  abc.def.ghi  ")],
    [(b"authorization", b"Bearer abc def")],
    [(b"authorization", b"Bearer\tabc")],
    [(b"authorization", b" Bearer abc")],
    [(b"authorization", b"Basic dXNlcjpwYXNz")],
    [(b"authorization", b"Bearerabc")],
    [(b"authorization", b"Bearer \xe9\xff")],
    [(b"authorization", b"Bearer first"), (b"authorization", b"Bearer second")],
    [(b"authorization", b"Basic x"), (b"authorization", b"Bearer second")],
    [(b"x-authorization", b"Bearer nope"), (b"content-type", b"application/json")],
    [(b"content-type", b"application/json"), (b"authorization", b"Bearer late")],
]


@pytest.mark.parametrize("headers", HEADERS, ids=[repr(h) for h in HEADERS])
async def test_the_token_is_the_one_the_bearer_scheme_reads(headers: list[tuple[bytes, bytes]]) -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    credentials = await bearer_scheme(Request(scope))
    expected = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    assert bearer_token(scope) == expected
