"""``kinerja replay <service>``: rebuild a service's views from the topics, compare, swap only if asked.

The rebuild goes into a scratch schema (``<service>_rebuild``) through the service's own migrations
and event handlers, with a consumer group of its own reading every topic the service handles from
the beginning up to the end offsets seen at the start. The live views are untouched until
``swap``; then both schemas are renamed in one transaction, the live one kept as
``<service>_before_<time>`` for a while. Only what the topics still hold can be replayed: with a
real Kafka give the source topics unlimited retention (or compaction by key) for full rebuilds.

``phases.py`` runs the rebuild, ``workers.py`` its jobs in worker processes, ``scratch.py`` the
scratch schema and the swap, ``report.py`` what is told.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import create_async_engine

from kinerja.compare import compare
from kinerja.replay.phases import rebuild
from kinerja.replay.report import Progress, ReplayReport, TerminalProgress
from kinerja.replay.scratch import scratch_definition, swap
from kinerja.services import definition

__all__ = [
    "Progress",
    "ReplayReport",
    "TerminalProgress",
    "rebuild",
    "replay",
    "scratch_definition",
    "swap",
]


async def replay(
    service: str,
    *,
    swap_in: bool = False,
    region: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ReplayReport:
    """Rebuild, compare (all regions, or one) and, when asked, swap one service's views."""
    live = definition(service)
    scratch = scratch_definition(live)
    started = time.monotonic()
    events = await rebuild(
        scratch, live_schema=live.settings.database_schema, progress=progress, workers=workers
    )
    engine = create_async_engine(live.settings.migration_database_url)
    try:
        tables = await compare(
            engine, live.settings.database_schema, scratch.settings.database_schema, region=region
        )
        kept = (
            await swap(engine, live.settings.database_schema, scratch.settings.database_schema)
            if swap_in
            else None
        )
    finally:
        await engine.dispose()
    return ReplayReport(service, events, time.monotonic() - started, tables, kept)
