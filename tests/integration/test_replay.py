"""``kinerja replay scoring``: views rebuilt from the topics match the live ones, show tampering, swap in."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kinerja.replay import replay
from shared.contracts import Envelope, Event
from shared.contracts.planning import (
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityReported, EvidenceAttached
from shared.observability import EVENT_TO_EFFECT, EVENTS_CONSUMED
from shared.settings import ServiceSettings
from tests.conftest import auth, event_deadline, new_region_id, wait_until
from tests.region_clock import quarter_in, year_in

pytestmark = pytest.mark.integration

ACTIVITIES = 60
WANGGAR = "Asia/Jayapura"  # the stream's region's zone (WIT)


def stream(
    region: str, *, period_kind: str = "quarterly", evidence: str | None = None, attached: str | None = None
) -> list[Event]:
    employee, indicator = f"e-{uuid.uuid4().hex[:8]}", f"i-{uuid.uuid4().hex[:8]}"
    plan = WorkPlanApproved(
        region_id=region,
        plan_id=f"p-{employee}",
        employee_id=employee,
        rater_id="head",
        unit_id="unit",
        job_type="id_card_registrar",
        year=year_in(WANGGAR),
        version=1,
        results=[
            PlannedResultSnapshot(
                result_id="res",
                kind="main",
                text="Dokumen kependudukan diterbitkan",
                indicators=[
                    IndicatorSnapshot(
                        indicator_id=indicator,
                        name="Dokumen diterbitkan",
                        aspect="quantity",
                        direction="higher_is_better",
                        aggregation="sum",
                        unit_of_measure="dokumen",
                        target=Decimal(500),
                    )
                ],
            )
        ],
    )
    activities: list[Event] = [
        ActivityReported(
            region_id=region,
            activity_id=uuid.uuid4().hex,
            employee_id=employee,
            plan_id=plan.plan_id,
            result_id="res",
            indicator_id=indicator,
            occurred_at=datetime.now(UTC),
            quantity=Decimal(n % 5 + 1),
            description="Perekaman KTP-el",
            evidence_sha256=[evidence] if evidence and n == 0 else [],
        )
        for n in range(ACTIVITIES)
    ]
    if attached is not None:  # a file attached to the second activity after it was reported
        second = activities[1]
        assert isinstance(second, ActivityReported)
        activities.append(
            EvidenceAttached(
                region_id=region,
                activity_id=second.activity_id,
                employee_id=employee,
                sha256=attached,
                content_type="application/pdf",
                size_bytes=2048,
            )
        )
    return [
        RegionRegistered(region_id=region, name="Kota Ulang", timezone=WANGGAR, period_kind=period_kind),
        plan,
        *activities,
    ]


async def publish(events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in events:
            envelope = Envelope.wrap(event, producer="test")
            await producer.send(
                event.topic,
                orjson.dumps(envelope.model_dump(mode="json")),
                key=event.partition_key().encode(),
            )
        await producer.flush()
    finally:
        await producer.stop()


def count_of(admin: AsyncEngine, table: str, region: str) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        async with admin.begin() as connection:
            await connection.execute(text("SELECT set_config('app.region_id', :r, true)"), {"r": region})
            found = await connection.scalar(
                text(f"SELECT count(*) FROM scoring.{table} WHERE region_id = :r"), {"r": region}
            )
            return int(found or 0)

    return count


async def test_replay_rebuilds_equal_views_reports_tampering_and_swaps_in(start_service: Any) -> None:
    settings = ServiceSettings()
    region = new_region_id()
    scoring = await start_service("scoring", consumer=True)
    await publish(stream(region))
    admin = create_async_engine(settings.migration_database_url)
    contributions = count_of(admin, "contributions", region)
    try:
        assert await wait_until(lambda: _equals(contributions, ACTIVITIES), timeout=event_deadline())

        # Someone edits a view behind the platform's back: the replay shows exactly those rows, and
        # every other row of every view equal to its rebuild. (A replay rebuilds every region the
        # topics hold, so each one costs the suite seconds: this test makes two.)
        async with admin.begin() as connection:
            await connection.execute(text("SELECT set_config('app.region_id', :r, true)"), {"r": region})
            await connection.execute(
                text(
                    "DELETE FROM scoring.contributions WHERE ctid = "
                    "(SELECT ctid FROM scoring.contributions WHERE region_id = :r LIMIT 1)"
                ),
                {"r": region},
            )
            edited = (
                await connection.execute(
                    text(
                        "UPDATE scoring.employee_scores SET achievement = 9.8765 WHERE ctid = "
                        "(SELECT ctid FROM scoring.employee_scores WHERE region_id = :r LIMIT 1) "
                        "RETURNING employee_id, period"
                    ),
                    {"r": region},
                )
            ).one()
        tampered = await replay("scoring", region=region)
        assert tampered.events >= ACTIVITIES
        differing = {t.table: t for t in tampered.tables if not t.equal}
        assert set(differing) == {"contributions", "employee_scores"}, tampered.render()
        assert differing["contributions"].live_rows == ACTIVITIES - 1
        assert differing["contributions"].only_rebuilt == 1, tampered.render()
        assert differing["contributions"].only_live == 0
        # ... and names the rows and the columns that differ.
        [deleted] = differing["contributions"].differences
        assert deleted.live is None
        assert deleted.rebuilt is not None
        assert set(deleted.key) == {
            "region_id",
            "activity_id",
        }
        [changed] = differing["employee_scores"].differences
        assert changed.key == {
            "region_id": region,
            "employee_id": edited.employee_id,
            "period": edited.period,
        }
        assert list(changed.columns) == ["achievement"]
        assert changed.columns["achievement"][0] == Decimal("9.8765")
        rendered = tampered.render()
        assert f"period={edited.period}" in rendered
        assert "achievement: live 9.8765, rebuilt" in rendered

        await scoring.close()  # the consumer stops before a swap
        swapped = await replay("scoring", region=region, swap_in=True)
        assert swapped.swapped_into is not None
        assert swapped.swapped_into.startswith("scoring_before_")
        assert await contributions() == ACTIVITIES
        # The rebuilt schema has every index the live one had, those it built after applying too.
        assert await indexes_of(admin, "scoring") == await indexes_of(admin, swapped.swapped_into)
    finally:
        await admin.dispose()


async def indexes_of(admin: AsyncEngine, schema: str) -> set[tuple[str, str]]:
    """A schema's indexes: each one's name and definition, the schema's name left out."""
    async with admin.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT indexname, replace(indexdef, :qualified, ' ON ') FROM pg_indexes "
                "WHERE schemaname = :s"
            ),
            {"s": schema, "qualified": f" ON {schema}."},
        )
        return {(name, definition) for name, definition in rows.tuples()}


async def _equals(probe: Any, wanted: int) -> bool:
    return bool(await probe() == wanted)


def _samples(metric: Any, suffix: str) -> float:
    """A metric's samples of one kind (``_total``, ``_count``) added up over every label."""
    return sum(
        float(sample.value)
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith(suffix)
    )


def told_into(told: list[tuple[int, int, str]]) -> Callable[[int, int, str], None]:
    """A replay's progress, kept as told."""
    return lambda done, total, what: told.append((done, total, what))


async def test_a_rebuild_in_worker_processes_equals_the_live_views(start_service: Any) -> None:
    """Several employees' partitions applied by two processes, a monthly calendar, the organisation
    and the plans applied first by both, evidence files shared across them (one named in reports,
    one attached later): the views equal the live ones, as with one process."""
    region, shared_file, attached_file = new_region_id(), "ab" * 32, "ef" * 32
    team = [
        stream(region, period_kind="monthly", evidence=shared_file, attached=attached_file) for _ in range(8)
    ]
    await start_service("scoring", consumer=True)
    admin = create_async_engine(ServiceSettings().migration_database_url)
    try:
        # The region's calendar and the plans first, as in life (a region registers long before
        # anyone reports): a flag raised before the calendar is known carries a period of the
        # default calendar, while a replay, applying calendars first, raises it in the region's own.
        await publish([event for events in team for event in events if event.topic.startswith("planning.")])
        calendar_known = count_of(admin, "region_settings", region)
        plans_known = count_of(admin, "plans", region)
        assert await wait_until(lambda: _equals(calendar_known, 1), timeout=event_deadline())
        assert await wait_until(lambda: _equals(plans_known, len(team)), timeout=event_deadline())
        await publish(
            [event for events in team for event in events if not event.topic.startswith("planning.")]
        )
        assert await wait_until(
            lambda: _equals(count_of(admin, "contributions", region), ACTIVITIES * len(team)),
            timeout=event_deadline(),
        )
        # Monthly periods: twelve months and the year per planned employee.
        assert await count_of(admin, "employee_scores", region)() == len(team) * 13
        assert await wait_until(
            lambda: _equals(count_of(admin, "evidence_claims", region), 2 * len(team)),
            timeout=event_deadline(),
        )
        assert await count_of(admin, "flags", region)() == 2 * len(team)
        for workers in (2, 1):
            told: list[tuple[int, int, str]] = []
            consumed, timed = _samples(EVENTS_CONSUMED, "_total"), _samples(EVENT_TO_EFFECT, "_count")
            report = await replay("scoring", region=region, workers=workers, progress=told_into(told))
            assert report.equal, report.render()
            if workers == 1:
                # Applied in this process, and no time to effect observed: the events occurred long ago.
                assert _samples(EVENTS_CONSUMED, "_total") >= consumed + ACTIVITIES * len(team)
                assert _samples(EVENT_TO_EFFECT, "_count") == timed
            # Events applied as the workers commit them, never fewer than told before, up to all of them.
            applied = [done for done, _, what in told if what == "events"]
            assert applied == sorted(applied), told
            assert applied[-1] == told[0][1] > 0, told
            assert any(
                t.table == "employee_scores" and t.rebuilt_rows == len(team) * 13 for t in report.tables
            ), report.render()
    finally:
        await admin.dispose()


async def test_a_rebuild_after_raters_decisions_equals_the_live_views(
    start_service: Any, make_token: Any
) -> None:
    """A confirmation, then an override of the same scorecard: the rebuilt scorecards carry the
    rater's latest decision exactly as the live ones do (the decisions are kept, the views follow)."""
    region = new_region_id()
    events = stream(region)
    plan = events[1]
    assert isinstance(plan, WorkPlanApproved)
    scoring = await start_service("scoring", consumer=True)
    await publish(events)
    admin = create_async_engine(ServiceSettings().migration_database_url)
    try:
        assert await wait_until(
            lambda: _equals(count_of(admin, "contributions", region), ACTIVITIES), timeout=event_deadline()
        )
        quarter = quarter_in(WANGGAR)
        head = auth(make_token("employee,rater", region=region, employee="head"))
        path = f"/v1/employees/{plan.employee_id}/ratings/{quarter}"
        card = await scoring.client.get(
            f"/v1/employees/{plan.employee_id}/scorecard", params={"period": quarter}, headers=head
        )
        assert card.status_code == 200, card.text
        proposed = card.json()["proposed_result_rating"]
        confirmed = await scoring.client.post(
            path, json={"result_rating": proposed, "behaviour_rating": "MEETS"}, headers=head
        )
        assert confirmed.status_code == 201, confirmed.text
        other = "ABOVE" if proposed != "ABOVE" else "BELOW"
        overridden = await scoring.client.post(
            path,
            json={
                "result_rating": other,
                "behaviour_rating": "ABOVE",
                "reason": "Melayani antrean saat banjir",
            },
            headers=head,
        )
        assert overridden.status_code == 201, overridden.text
        assert overridden.json()["overridden"] is True

        report = await replay("scoring", region=region)
        assert report.equal, report.render()
        assert any(t.table == "rating_decisions" and t.rebuilt_rows == 2 for t in report.tables)
    finally:
        await admin.dispose()
