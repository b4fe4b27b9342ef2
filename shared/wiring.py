"""A service's adapters wired into its context, and the collector settled: what every process of a
service does, one that serves its API or one that only applies its events (a replay's workers).

Free of the web stack, which ``shared.runtime`` (serving the API) brings: a replay's worker processes
import this, not the runtime.
"""

from __future__ import annotations

import gc
from typing import Any

from shared.auth import TokenVerifier
from shared.context import ServiceContext
from shared.db import create_engine, create_session_factory
from shared.observability import record_build, time_gc_pauses
from shared.redis_client import connect_redis
from shared.service_definition import ServiceDefinition

#: Allocations between the collector's young collections, and how many of each generation before
#: the next. With the defaults (700, 10, 10) a rebuild spent a quarter of its time in the collector,
#: each full collection walking everything the replay keeps; a consumer batch of thousands of events
#: allocates far more than 700 objects.
GC_THRESHOLDS = (100_000, 20, 100)


def settle_garbage_collector() -> None:
    """Tune the collector for a long-running process whose set-up is done.

    What exists now (modules, schemas, compiled statements) lives as long as the process: frozen, the
    collector no longer walks it on each full collection, which showed as latency spikes. Reference
    counting still frees everything acyclic at once; only cycles wait for the larger thresholds.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    time_gc_pauses()


def build_context(definition: ServiceDefinition[Any]) -> ServiceContext:
    """Wire the concrete adapters of a service (the one place that does)."""
    settings = definition.settings
    record_build(settings.service_name)
    engine = create_engine(settings)
    return ServiceContext(
        settings=settings,
        tables=definition.tables,
        engine=engine,
        session_factory=create_session_factory(engine),
        redis=connect_redis(settings),
        token_verifier=TokenVerifier(settings),
    )
