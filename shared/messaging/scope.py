"""What an event handler acts with, given by the consumer runner: one typed scope per event.

The runner applies a batch of events in one transaction (a ``Batch``) and hands each event's
handler a ``HandlerScope``: the transaction's session, ``emit`` for the events the handler raises
(caused by the event it applies), the batch's deferred work (done once at the end of the batch,
however many events asked for it) and, in a replay, the replay's backlog of view work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import EnvelopeHead, Event
from shared.outbox import OutboxWriter

#: The replay backlog's type: what a service's replay collects across batches (None live).
Backlog = TypeVar("Backlog")
Work = TypeVar("Work", bound="DeferredWork")


class DeferredWork(Protocol):
    """Work a batch's handlers leave for its end (e.g. refreshing each view row they touched once)."""

    async def run(self) -> None:
        """Do the work, in the batch's transaction."""
        ...


class Batch(Generic[Backlog]):
    """One transaction of a consumer's batch, as its handlers share it.

    The runner finishes the batch before it commits, so deferred work and emitted events are
    committed with the events' effects or not at all; when it isolates a failing event, it finishes
    after each event, in that event's savepoint, and discards what a failed event left.
    """

    def __init__(
        self, session: AsyncSession, *, outbox: OutboxWriter, replay_backlog: Backlog | None = None
    ) -> None:
        self.session = session
        #: A replay's store of work left to its very end (``shared.service_definition.ReplayViews``);
        #: None live.
        self.replay_backlog = replay_backlog
        self._outbox = outbox
        self._deferred: dict[object, DeferredWork] = {}
        self._events: list[dict[str, Any]] = []

    def scope(self, envelope: EnvelopeHead) -> HandlerScope[Backlog]:
        """The scope of the handler applying this event."""
        # Made without its ``__init__`` (see ``ConsumedEvent``), its two slots set here.
        scope: HandlerScope[Backlog] = _new_object(HandlerScope)
        scope.batch = self
        scope.applying = envelope
        return scope

    def emit(self, event: Event, *, caused_by: EnvelopeHead) -> None:
        """Queue an event for the outbox, caused by (and correlated with) a consumed one."""
        self._events.append(
            self._outbox.row(
                event, causation_id=str(caused_by.event_id), correlation_id=caused_by.correlation_id
            )
        )

    def deferred(self, kind: Callable[[Batch[Backlog]], Work]) -> Work:
        """The batch's one piece of work of this kind, made on first use and run when the batch finishes."""
        work = self._deferred.get(kind)
        if work is None:
            work = self._deferred[kind] = kind(self)
        # Kept under the callable that made it, so it is of the type that callable returns.
        return cast(Work, work)

    async def finish(self) -> None:
        """Run the deferred work, oldest first (and work it defers in turn), then write the events."""
        while self._deferred:
            await self._deferred.pop(next(iter(self._deferred))).run()
        events, self._events = self._events, []
        await self._outbox.write(self.session, events)

    def discard(self) -> None:
        """Forget the deferred work and events of an event whose savepoint was rolled back."""
        self._deferred.clear()
        self._events.clear()


@dataclass(slots=True, init=False)
class HandlerScope(Generic[Backlog]):
    """What one event's handler acts with: its batch's transaction, outbox and deferred work.

    One made for every event; not frozen, for the reason ``ConsumedEvent`` is not.
    """

    batch: Batch[Backlog]
    #: The event being applied: what the handler emits is caused by it.
    applying: EnvelopeHead

    @property
    def session(self) -> AsyncSession:
        """The batch's session, restricted to the event's region."""
        return self.batch.session

    @property
    def replay_backlog(self) -> Backlog | None:
        """A replay's backlog of work left to its end; None in the live consumer."""
        return self.batch.replay_backlog

    def emit(self, event: Event) -> None:
        """Queue an event for the outbox, caused by the one being applied; written with the batch."""
        self.batch.emit(event, caused_by=self.applying)

    def deferred(self, kind: Callable[[Batch[Backlog]], Work]) -> Work:
        """The batch's one piece of work of this kind (see ``Batch.deferred``)."""
        return self.batch.deferred(kind)


#: An object of a class made without calling its ``__init__`` (``HandlerScope``).
_new_object = object.__new__
