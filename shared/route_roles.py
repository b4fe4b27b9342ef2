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

from shared.auth import Principal, Role, TokenVerifier
from shared.refusals import Refusal, RefusalKind

bearer_scheme = HTTPBearer(auto_error=False, description="A JWT from the region's identity provider.")


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The verified caller of a request, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Refusal("missing_token", "A bearer token is required.", kind=RefusalKind.UNAUTHENTICATED)
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify_async(credentials.credentials)


def require_roles(*roles: Role) -> Any:
    """A dependency that admits only callers holding one of ``roles``.

    Every route that needs a token declares its roles this way: the access-control tests read
    ``allowed_roles`` from the route table, so an endpoint without a declared policy fails the
    suite. The token is read and checked here directly (the bearer scheme stays a dependency, for
    the OpenAPI document): every level of dependencies costs each request its resolution.
    """

    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
    ) -> Principal:
        return await admit(request, credentials, frozenset(roles))

    check.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
    return Depends(check)


async def admit(
    request: Request, credentials: HTTPAuthorizationCredentials | None, roles: frozenset[Role]
) -> Principal:
    """The verified caller if it holds one of ``roles``; 401 without a valid token, 403 without the role."""
    principal = await authenticate(request, credentials)
    if not principal.has(*roles):
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Refusal(
            "wrong_role",
            "This action needs one of the roles: %(allowed)s.",
            kind=RefusalKind.FORBIDDEN,
            params={"allowed": allowed},
        )
    return principal


async def _caller(request: Request) -> Principal:
    # Read directly, not through ``Depends(bearer_scheme)``: the route's ``require_roles`` already
    # states the security requirement in the OpenAPI document (and a verified token is cached).
    return await authenticate(request, await bearer_scheme(request))


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
        route.openapi_extra = (route.openapi_extra or {}) | {"x-roles": names}
        line = f"Roles: {', '.join(names)}."
        if line not in (route.description or ""):
            route.description = f"{route.description or ''}\n\n{line}".lstrip()
