"""What a run must end with, once the load stopped and the platform settled.

- every write answered 2xx is in its service's database exactly once (planning's employees,
  reporting's activities and verifications, feedback's survey responses and complaints);
- scoring reflects each of them exactly once: an activity is one contribution with the quantity and
  status reporting holds, an employee one row, a unit's respondents the responses feedback holds
  (scoring reads no complaint until its deadline passes, so complaints stop at feedback); and the
  views equal a rebuild from the topics (``kinerja replay``'s rebuild and comparison);
- the dead-letter topics hold the events poisoned on purpose and nothing else;
- every outbox is drained and every consumer group's lag is back to zero within a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from kinerja.chaos.backbone import consumer_lag, read_dead_letters
from kinerja.infra import Endpoints
from kinerja.services import SERVICE_NAMES
from kinerja.simulate import Ledger
from services.feedback.domain.tracking_code import normalise_tracking_code
from shared.db import ALL_REGIONS_SETTING

#: Reporting's status of an activity, as scoring spells it.
SCORING_STATUS = {"submitted": "UNVERIFIED", "verified": "VERIFIED", "rejected": "REJECTED"}


@dataclass
class Verdict:
    """What the checks found: counts for the table, and each violation in words."""

    lost: int = 0
    counted_twice: int = 0
    settled_in: float | None = None
    violations: list[str] = field(default_factory=list)

    def lose(self, what: str, ids: list[str]) -> None:
        if ids:
            self.lost += len(ids)
            self.violations.append(f"{what}: {len(ids)} missing, e.g. {', '.join(ids[:3])}")

    def twice(self, what: str, ids: list[str]) -> None:
        if ids:
            self.counted_twice += len(ids)
            self.violations.append(f"{what}: {len(ids)} counted more than once, e.g. {', '.join(ids[:3])}")


async def settle(engine: AsyncEngine, bootstrap: str, *, timeout: float) -> float | None:
    """Seconds until every outbox is drained and every group's lag is zero (None: not within timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        # A server still recovering answers with errors: ask again a moment later.
        with contextlib.suppress(Exception):
            async with engine.connect() as connection:
                backlog = 0
                for schema in SERVICE_NAMES:
                    backlog += await connection.scalar(
                        text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
                    )
            if backlog == 0 and not any((await consumer_lag(bootstrap)).values()):
                return time.monotonic() - started
        await asyncio.sleep(1.0)
    return None


async def _counts(connection: AsyncConnection, table: str, column: str, ids: list[str]) -> dict[str, int]:
    rows = await connection.execute(
        text(f"SELECT {column}, count(*) FROM {table} WHERE {column} = ANY(:ids) GROUP BY {column}"),
        {"ids": ids},
    )
    return {row[0]: int(row[1]) for row in rows}


def _judge(verdict: Verdict, what: str, ids: list[str], counts: dict[str, int]) -> None:
    verdict.lose(what, [key for key in ids if counts.get(key, 0) == 0])
    verdict.twice(what, [key for key in ids if counts.get(key, 0) > 1])


async def check_databases(connection: AsyncConnection, ledger: Ledger, verdict: Verdict) -> None:
    """Each write answered 2xx exactly once in its service's database, and in scoring's views."""
    await connection.execute(text(f"SELECT set_config('{ALL_REGIONS_SETTING}', 'on', false)"))
    employees = list(ledger.employees)
    _judge(
        verdict,
        "planning.employees",
        employees,
        await _counts(connection, "planning.employees", "employee_id", employees),
    )
    _judge(
        verdict,
        "scoring.employees",
        employees,
        await _counts(connection, "scoring.employees", "employee_id", employees),
    )
    complaints = [normalise_tracking_code(code) for code in ledger.complaints]  # stored without the hyphen
    _judge(
        verdict,
        "feedback.complaints",
        complaints,
        await _counts(connection, "feedback.complaints", "tracking_code", complaints),
    )
    surveys = list(ledger.surveys)
    _judge(
        verdict,
        "feedback.survey_responses",
        surveys,
        await _counts(connection, "feedback.survey_responses", "response_id", surveys),
    )

    activities = list(ledger.activities)
    source = await _activities(connection, "reporting.activities", activities)
    reflected = await _activities(connection, "scoring.contributions", activities)
    _judge(verdict, "reporting.activities", activities, {key: len(rows) for key, rows in source.items()})
    _judge(verdict, "scoring.contributions", activities, {key: len(rows) for key, rows in reflected.items()})
    wrong_quantity = [
        key
        for key, answered in ledger.activities.items()
        if any(Decimal(answered.quantity) != row[0] for row in source.get(key, []) + reflected.get(key, []))
    ]
    if wrong_quantity:
        verdict.violations.append(f"activities stored with another quantity: {', '.join(wrong_quantity[:3])}")
    not_verified = [
        key for key in ledger.verifications if [row[1] for row in source.get(key, [])] != ["verified"]
    ]
    verdict.lose("reporting verifications", not_verified)
    differing = [
        key
        for key in activities
        if key in source
        and key in reflected
        and [SCORING_STATUS.get(r[1], r[1]) for r in source[key]] != [r[1] for r in reflected[key]]
    ]
    if differing:
        verdict.violations.append(f"scoring's status differs from reporting's: {', '.join(differing[:3])}")
    await _check_respondents(connection, ledger, verdict)


async def _activities(
    connection: AsyncConnection, table: str, ids: list[str]
) -> dict[str, list[tuple[Any, str]]]:
    rows = await connection.execute(
        text(f"SELECT activity_id, quantity, status FROM {table} WHERE activity_id = ANY(:ids)"), {"ids": ids}
    )
    found: dict[str, list[tuple[Any, str]]] = {}
    for activity_id, quantity, status in rows:
        found.setdefault(activity_id, []).append((quantity, status))
    return found


async def _check_respondents(connection: AsyncConnection, ledger: Ledger, verdict: Verdict) -> None:
    """Scoring's respondents of each unit and period equal the responses feedback holds."""
    keys = sorted({(s.region_id, s.unit_id, s.period) for s in ledger.surveys.values()})
    for region_id, unit_id, period in keys:
        held = await connection.scalar(
            text(
                "SELECT count(*) FROM feedback.survey_responses "
                "WHERE region_id = :r AND unit_id = :u AND period = :p"
            ),
            {"r": region_id, "u": unit_id, "p": period},
        )
        shown = await connection.scalar(
            text(
                "SELECT respondents FROM scoring.unit_satisfaction "
                "WHERE region_id = :r AND unit_id = :u AND period = :p AND service_id = ''"
            ),
            {"r": region_id, "u": unit_id, "p": period},
        )
        label = f"{unit_id}/{period}"
        if (shown or 0) < held:
            verdict.lose("scoring.unit_satisfaction respondents", [f"{label} ({shown or 0} of {held})"])
        elif shown > held:
            verdict.twice("scoring.unit_satisfaction respondents", [f"{label} ({shown} for {held})"])


@contextmanager
def platform_environment(endpoints: Endpoints) -> Iterator[None]:
    """The process environment ``kinerja replay`` reads its settings from, for the time of a check."""
    saved = dict(os.environ)
    os.environ.update(endpoints.environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def check_run(
    endpoints: Endpoints, ledger: Ledger, poisoned: set[str], *, settle_timeout: float
) -> Verdict:
    """Every check of a run, after the load (violations listed in the verdict, never raised)."""
    from kinerja.replay import replay

    verdict = Verdict()
    bootstrap = endpoints.kafka_bootstrap_servers
    engine = create_async_engine(endpoints.database_admin_url or endpoints.database_url)
    try:
        verdict.settled_in = await settle(engine, bootstrap, timeout=settle_timeout)
        if verdict.settled_in is None:
            lag = await consumer_lag(bootstrap)
            verdict.violations.append(f"not settled within {settle_timeout:.0f}s: lag {lag}")
        async with engine.connect() as connection:
            await check_databases(connection, ledger, verdict)
    finally:
        await engine.dispose()
    dead = await read_dead_letters(bootstrap)
    if dead.unexpected:
        verdict.violations.append(
            f"{len(dead.unexpected)} dead letters not poisoned on purpose: {dead.unexpected[:3]}"
        )
    if poisoned - dead.poisoned:
        verdict.violations.append(
            f"events poisoned on purpose not dead-lettered: {sorted(poisoned - dead.poisoned)}"
        )
    with platform_environment(endpoints):
        report = await replay("scoring", workers=1)
    if not report.equal:
        verdict.violations.append(
            "scoring's views differ from a rebuild from the topics:\n" + report.render()
        )
    return verdict
