"""What a route body works in: the service's context, a read session bound to the caller's region,
or audited work.

A route that needs the service's adapters takes ``context: Context`` (the running application's
``ServiceContext``, which itself knows no web framework, so use cases take it as it is).

Every route that reads a region's data takes ``session: RegionSession``; every route that changes it
takes ``work: RegionWork``, calls its use case with ``work.uow`` and names the action for the audit
trail with ``work.record(...)``. The dependency opens the unit of work before the body runs and,
when the body returns, writes the audit entry (the caller, the action, its target and the client's
address, as ``shared.http.client_address`` finds it behind the trusted proxies) and commits. So a
route body is its use case, and the trail cannot be forgotten nor written two ways.

The session and the work end with the route function (``scope="function"``), before the answer is sent:
a commit that fails is answered by the error handlers (409, 422, 503) instead of an answer already
sent, and the connection is back in the pool while the answer travels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import ServiceContext
from shared.http import client_address
from shared.route_roles import Caller
from shared.unit_of_work import UnitOfWork


def context_of(request: Request) -> ServiceContext:
    """The service context of the running application, for a hot route that takes ``Request``:
    each level of FastAPI dependencies (``Context``) costs a request about 10 µs to resolve."""
    context: ServiceContext = request.app.state.context
    return context


async def get_context(request: Request) -> ServiceContext:
    """FastAPI dependency: the service context of the running application.

    ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, a thread hop
    on every request that costs more than the lookup itself.
    """
    return context_of(request)


#: The running application's service context, as a route takes it.
Context = Annotated[ServiceContext, Depends(get_context)]

#: Something to do once the work is committed (a notice on the live feed, a counter): a function
#: or a coroutine function.
AfterCommit = Callable[[], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What a route did, for the trail: the action, its target, and a detail where one helps."""

    action: str
    subject: str
    detail: str | None


class AuditedWork:
    """A unit of work whose change is committed only together with its audit entry.

    A use case that changed nothing (a retry answered from what is stored, a dry run) records
    nothing, and its transaction is discarded.
    """

    def __init__(self, uow: UnitOfWork, *, actor: str, client_address: str | None) -> None:
        self.uow = uow
        self._actor = actor
        self._client_address = client_address
        self._entry: AuditEntry | None = None
        self._after_commit: list[AfterCommit] = []

    def record(self, action: str, subject: str, *, detail: str | None = None) -> None:
        """Name the action the route performed; it is audited and committed when the route returns."""
        if self._entry is not None:
            raise RuntimeError(f"one audited action per request: {self._entry.action} is recorded already")
        self._entry = AuditEntry(action, subject, detail)

    def after_commit(self, effect: AfterCommit) -> None:
        """Do ``effect`` once the change is committed (never when it is not)."""
        self._after_commit.append(effect)

    async def commit_if_recorded(self) -> bool:
        """Write the audit entry and commit with it; False when nothing was recorded."""
        if self._entry is None:
            return False
        await self.uow.audit(
            actor=self._actor,
            action=self._entry.action,
            subject=self._entry.subject,
            detail=self._entry.detail,
            client_address=self._client_address,
        )
        await self.uow.commit()
        return True

    async def run_after_commit(self) -> None:
        """The effects the route left for after the commit, in the order it gave them."""
        for effect in self._after_commit:
            pending = effect()
            if pending is not None:
                await pending


@asynccontextmanager
async def audited_work(
    context: ServiceContext, *, region_id: str, actor: str, client_address: str | None
) -> AsyncIterator[AuditedWork]:
    """Audited work in a region for ``actor``: committed at the end of the block if it recorded an action.

    The dependencies below are the usual way in; a route opens it itself only when the region is
    not the caller's (a citizen's, named by the path; a region being registered).
    """
    async with context.unit_of_work(region_id=region_id) as uow:
        work = AuditedWork(uow, actor=actor, client_address=client_address)
        yield work
        committed = await work.commit_if_recorded()
    if committed:
        await work.run_after_commit()


async def _work_in_callers_region(
    request: Request, context: Context, caller: Caller
) -> AsyncIterator[AuditedWork]:
    async with audited_work(
        context, region_id=caller.region, actor=caller.subject, client_address=client_address(request)
    ) as work:
        yield work


async def _read_in_callers_region(context: Context, caller: Caller) -> AsyncIterator[AsyncSession]:
    async with context.read_session(caller.region) as session:
        yield session


#: Audited work in the caller's region (the route's ``require_roles`` has admitted the caller).
RegionWork = Annotated[AuditedWork, Depends(_work_in_callers_region, scope="function")]

#: A session whose transaction sees only the caller's region (row-level security), closed at the end.
RegionSession = Annotated[AsyncSession, Depends(_read_in_callers_region, scope="function")]
