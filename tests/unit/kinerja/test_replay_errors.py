"""``kinerja replay`` tells the error that stopped its rebuild, not one that followed it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kinerja.replay import phases
from kinerja.replay.scratch import scratch_definition
from kinerja.services import definition


class _SchemaFailed(Exception):
    pass


class _PoolFailed(Exception):
    pass


def test_a_failed_rebuild_raises_its_error_even_when_the_workers_failed_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workers start beside the schema's making: when both fail, the schema's error is the one
    the operator must see (the pool's, raised over it, kept the schema's only as its context)."""

    def no_pool(service: str, workers: int) -> None:
        raise _PoolFailed(service)

    async def no_schema(scratch: Any, live_schema: str) -> list[str]:
        raise _SchemaFailed(live_schema)

    monkeypatch.setattr(phases, "worker_pool", no_pool)
    monkeypatch.setattr(phases, "fresh_schema", no_schema)
    scratch = scratch_definition(definition("scoring"))
    with pytest.raises(_SchemaFailed):
        asyncio.run(phases.rebuild(scratch, live_schema="scoring", workers=2))


def test_a_failed_pool_start_is_raised_when_nothing_failed_before(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(service: str, workers: int) -> None:
        raise _PoolFailed(service)

    async def made(scratch: Any, live_schema: str) -> list[str]:
        return []

    async def applied(scratch: Any, service: str, starting: Any, *rest: Any) -> int:
        await starting  # the phases wait for the workers before their first job
        return 0

    monkeypatch.setattr(phases, "worker_pool", no_pool)
    monkeypatch.setattr(phases, "fresh_schema", made)
    monkeypatch.setattr(phases, "_apply_all", applied)
    scratch = scratch_definition(definition("scoring"))
    with pytest.raises(_PoolFailed):
        asyncio.run(phases.rebuild(scratch, live_schema="scoring", workers=2))
