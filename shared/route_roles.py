"""Who a route admits: the bearer scheme, ``require_roles``, the verified ``Caller``, and the roles named
in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute
from starlette.types import Scope

from shared.auth import Principal, Role, TokenVerifier
from shared.refusals import Refusal, RefusalKind

bearer_scheme = HTTPBearer(auto_error=False, description="A JWT from the region's identity provider.")
#: The security requirement of an operation that needs a token, as the OpenAPI document names it.
BEARER: dict[str, list[str]] = {bearer_scheme.scheme_name: []}


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The verified caller of a request, or 401."""
    bearer = credentials if credentials is not None and credentials.scheme.lower() == "bearer" else None
    return await verified_caller(request.app.state.token_verifier, bearer.credentials if bearer else None)


async def verified_caller(verifier: TokenVerifier, token: str | None) -> Principal:
    """The caller a bearer token names, verified; 401 without a token or with an invalid one."""
    if token is None:
        raise Refusal("missing_token", "A bearer token is required.", kind=RefusalKind.UNAUTHENTICATED)
    return await verifier.verify_async(token)


def bearer_token(scope: Scope) -> str | None:
    """The token ``bearer_scheme`` would read from the request's first ``Authorization`` header, or None.

    Read from the scope's headers as they are: ``bearer_scheme`` builds a ``Request``, its headers
    and a validated credentials model for the same two strings (~4 µs of every admitted request).
    """
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if token and scheme.lower() == "bearer" else None
    return None


#: Where ``GuardedRoute`` leaves the caller it admitted, before the body, for the route's dependencies.
ADMITTED = "kinerja.admitted"


def require_roles(*roles: Role) -> Any:
    """A dependency that admits only callers holding one of ``roles``.

    Every route that needs a token declares its roles this way: the access-control tests read
    ``allowed_roles`` from the route table, so an endpoint without a declared policy fails the
    suite. It takes the caller ``GuardedRoute`` admitted (every API route is one) and checks its own
    roles; it has no sub-dependency, since each level of dependencies costs every request its
    resolution (the bearer scheme as one cost a submission about 10 µs): the operations' security
    requirement is written into the OpenAPI document by ``document_roles`` instead.
    """
    allowed = frozenset(roles)

    async def check(request: Request) -> Principal:
        return await admitted(request, allowed)

    check.allowed_roles = allowed  # type: ignore[attr-defined]
    return Depends(check)


async def admit(verifier: TokenVerifier, token: str | None, roles: frozenset[Role]) -> Principal:
    """The caller ``token`` names if it holds one of ``roles``: 401 without a valid token, 403 without
    the role."""
    principal = await verified_caller(verifier, token)
    _ensure_holds(principal, roles)
    return principal


async def admitted(request: Request, roles: frozenset[Role] | None = None) -> Principal:
    """The caller ``GuardedRoute`` admitted for this request (else verified now), if it holds one of
    ``roles`` (any role when None); 401 without a valid token, 403 without the role."""
    principal: Principal | None = request.scope.get(ADMITTED)
    if principal is None:
        principal = await authenticate(request, await bearer_scheme(request))
    if roles is not None:
        _ensure_holds(principal, roles)
    return principal


def _ensure_holds(principal: Principal, roles: frozenset[Role]) -> None:
    # Two frozensets: their members' stored hashes, where ``has`` hashed each role (an enum's
    # hash is Python code), 3 µs of a submission on the loaded machine.
    if principal.roles.isdisjoint(roles):
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Refusal(
            "wrong_role",
            "This action needs one of the roles: %(allowed)s.",
            kind=RefusalKind.FORBIDDEN,
            params={"allowed": allowed},
        )


async def _caller(request: Request) -> Principal:
    # The route's ``require_roles`` is what admits the caller; this is who and where.
    return await admitted(request)


#: The verified caller whatever their roles, for dependencies that need who and where (the route's
#: ``require_roles`` is what admits the caller: a route needing a token declares its roles).
Caller = Annotated[Principal, Depends(_caller)]


def allowed_roles_of(dependency: Any) -> frozenset[Role] | None:
    """The roles a ``require_roles`` dependency admits, or None for any other callable."""
    roles: frozenset[Role] | None = getattr(dependency, "allowed_roles", None)
    return roles


def declared_roles(dependant: Dependant) -> frozenset[Role] | None:
    """The roles of the first ``require_roles`` dependency anywhere in a route's dependency tree."""
    for dependency in dependant.dependencies:
        roles = allowed_roles_of(dependency.call)
        if roles is not None:
            return roles
        nested = declared_roles(dependency)
        if nested is not None:
            return nested
    return None


def document_roles(routes: Iterable[BaseRoute]) -> None:
    """Name in each operation of the OpenAPI document the roles it admits, from its ``require_roles``:
    an ``x-roles`` list for tools and a line of its description for people."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        roles = declared_roles(route.dependant)
        if roles is None:
            continue
        names = sorted(role.value for role in roles)
        route.openapi_extra = (route.openapi_extra or {}) | {"x-roles": names, "security": [BEARER]}
        line = f"Roles: {', '.join(names)}."
        if line not in (route.description or ""):
            route.description = f"{route.description or ''}\n\n{line}".lstrip()


def document_bearer_scheme(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the bearer scheme among its components when an operation requires it
    (``document_roles`` names it in each operation; no dependency declares it for FastAPI to find)."""
    operations = (op for path in schema.get("paths", {}).values() for op in path.values())
    if any(BEARER in (operation.get("security") or []) for operation in operations):
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[bearer_scheme.scheme_name] = bearer_scheme.model.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    return schema
