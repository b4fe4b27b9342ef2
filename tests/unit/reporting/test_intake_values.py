"""The intake builds rows from the validated model's fields: they must equal its dump."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import MetaData

from services.reporting.adapters.intake_statements import ACTIVITY_COLUMNS, HEAD_COLUMNS
from services.reporting.adapters.intake_store import IntakeTransaction, activity_row, row_head
from services.reporting.service_layer.intake_values import (
    ANSWER_JSON,
    feed_head,
    feed_json,
    feed_payload,
    own_as_answered,
    row_values,
    shown_around,
)
from services.reporting.service_layer.schemas import ActivityCreate
from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported
from shared.db import outbox_table
from shared.json_rows import json_row_values
from shared.outbox import OutboxWriter, envelopes_of


def _accepted(item: ActivityCreate) -> dict[str, Any]:
    """The values the intake stores for ``item``, accepted now in one region for one employee."""
    return row_values(
        item.__dict__,
        region_id="kab-sleman",
        employee_id="199001012020011001",
        indicator={"plan_id": "plan-1", "result_id": "result-1"},
        now=datetime.now(UTC),
    )


def _sent_and_head(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The validated item these values hold and its feed head."""
    sent = ActivityCreate.model_validate(
        {name: values[name] for name in ActivityCreate.model_fields}
    ).__dict__
    head = feed_head(
        sent,
        region_id=values["region_id"],
        employee_id=values["employee_id"],
        indicator={"plan_id": values["plan_id"], "result_id": values["result_id"]},
        submitted_at=values["submitted_at"],
    )
    return sent, head


def _as_text(values: dict[str, Any]) -> dict[str, Any]:
    """The feed's copy of the activity these values hold (the numbers as the event writes them)."""
    return feed_payload(*_sent_and_head(values))


def _envelope(writer: OutboxWriter, values: dict[str, Any], correlation_id: str | None) -> bytes:
    """The envelope as the intake writes it: emitted and inserted by a transaction whose driver
    answers at once, its event id from a series."""
    (value,) = _outbox_values(writer, [(values, correlation_id)])
    return value


def _outbox_values(writer: OutboxWriter, emitted: list[tuple[dict[str, Any], str | None]]) -> list[bytes]:
    """The outbox rows' values a group's transaction writes for these accepted activities (each
    emitted under its correlation id, as its request's), one an employee."""
    driver = _AnsweringDriver()
    transaction = IntakeTransaction(driver, "kab-sleman", writer, ("new", "skipping"), plainly=True)
    for values, correlation_id in emitted:
        sent, head = _sent_and_head(values)
        own = own_as_answered(sent)
        emit = transaction.emitter(values["employee_id"], correlation_id, values["submitted_at"])
        emit(
            sent["activity_id"],
            row_head(head),
            own,
            feed_json(sent["activity_id"], own, shown_around(head)),
            "0",
        )
    asyncio.run(transaction.insert(len(emitted), [], datetime.now(UTC)))
    return list(driver.arguments[6])


def test_rows_and_events_carry_the_validated_values() -> None:
    item = ActivityCreate.model_validate(
        {
            "activity_id": "activity-0001",
            "indicator_id": "indicator-1",
            "occurred_at": "2026-11-29T10:00:00+07:00",
            "quantity": "12.5",
            "denominator": "20",
            "description": "Menerbitkan KTP-el",
            "obstacles": "Blanko habis",
            "latitude": "-6.2",
            "longitude": "106.8",
        }
    )
    values = _accepted(item)

    assert {key: values[key] for key in ActivityCreate.model_fields} == item.model_dump()
    # The event carries the request's values (and the read model's), nothing lost on the way.
    writer = OutboxWriter(outbox_table(MetaData()), producer="reporting")
    envelope = Envelope.model_validate_json(_envelope(writer, values, None))
    reported = ActivityReported.model_validate(envelope.payload).model_dump()
    assert {key: reported[key] for key in item.model_dump() if key in reported} == {
        key: value for key, value in item.model_dump().items() if key in reported
    }
    assert (reported["employee_id"], reported["plan_id"], reported["result_id"]) == (
        "199001012020011001",
        "plan-1",
        "result-1",
    )


def test_the_event_written_from_the_values_reads_back_as_the_event_the_model_builds() -> None:
    writer = OutboxWriter(outbox_table(MetaData()), producer="reporting")
    for occurred_at, quantity in (
        ("2026-11-29T10:00:00.250+07:00", "12.5"),
        ("2026-11-29T03:00:00Z", None),  # UTC, written with Z as the API answers it
        ("2026-11-29T10:00:00-03:30", "0.0001"),
    ):
        item = ActivityCreate.model_validate(
            {
                "activity_id": "activity-0001",
                "indicator_id": "indicator-1",
                "occurred_at": occurred_at,
                "quantity": quantity,
                # Text that looks like the key the event is cut at stays inside its string.
                "description": 'Menerbitkan KTP-el \u201cbaru\u201d ,"latitude": 1',
                "obstacles": None if quantity else "Blanko habis",
            }
        )
        values = _accepted(item)
        event = ActivityReported(
            **{name: values[name] for name in ActivityReported.model_fields if name in values}
        )

        expected = writer.row(event, correlation_id="corr-1")
        envelope = Envelope.model_validate_json(_envelope(writer, values, "corr-1"))
        assert ActivityReported.model_validate(envelope.payload) == event
        assert envelope == Envelope.model_validate_json(expected["value"]).model_copy(
            update={
                "event_id": envelope.event_id,
                "occurred_at": envelope.occurred_at,
                "payload": envelope.payload,
            }
        )
        assert envelope.occurred_at == values["submitted_at"]  # the event occurred when submitted


def test_an_employees_events_are_its_outbox_rows_envelopes_in_the_order_emitted() -> None:
    writer = OutboxWriter(outbox_table(MetaData()), producer="reporting")
    now = datetime.now(UTC)  # the group's submission time, its events' time
    emitted = []
    for n, (employee_id, correlation_id) in enumerate(
        [("emp-a", "corr-1"), ("emp-b", "corr-1"), ("emp-a", "corr-2"), ("emp-a", None)]
    ):
        item = ActivityCreate.model_validate(
            {
                "activity_id": f"activity-{n}",
                "indicator_id": "indicator-1",
                "occurred_at": "2026-11-29T10:00:00+07:00",
                "quantity": str(n + 1),
                "description": f"Menerbitkan KTP-el {n}",
                "latitude": "-6.2",
            }
        )
        emitted.append((_accepted(item) | {"employee_id": employee_id, "submitted_at": now}, correlation_id))

    values = _outbox_values(writer, emitted)
    envelopes = [[Envelope.model_validate_json(text) for text in envelopes_of(value)] for value in values]
    # One row an employee (in the order first emitted), its envelopes in the order emitted.
    assert [[(e.payload["activity_id"], e.correlation_id) for e in row] for row in envelopes] == [
        [("activity-0", "corr-1"), ("activity-2", "corr-2"), ("activity-3", None)],
        [("activity-1", "corr-1")],
    ]
    for (accepted, correlation_id), envelope in zip(
        emitted, [envelopes[0][0], envelopes[1][0], envelopes[0][1], envelopes[0][2]], strict=True
    ):
        event = ActivityReported(
            **{name: accepted[name] for name in ActivityReported.model_fields if name in accepted}
        )
        assert ActivityReported.model_validate(envelope.payload) == event
        # Each envelope as the writer's own of its event, but for the intake's event id and time (the
        # payload's numbers are the API's text, read back as the same event above).
        assert envelope == Envelope.model_validate_json(
            writer.row(event, correlation_id=correlation_id)["value"]
        ).model_copy(update={"event_id": envelope.event_id, "occurred_at": now, "payload": envelope.payload})
    assert len({e.event_id for row in envelopes for e in row}) == 4


def test_an_intake_items_json_row_holds_the_values_columns_in_order_numbers_as_text() -> None:
    item = ActivityCreate.model_validate(
        {
            "activity_id": "activity-0001",
            "indicator_id": "indicator-1",
            "occurred_at": "2026-11-29T10:00:00.250+05:45",
            "quantity": "12.50",
            "denominator": None,
            "description": "Menerbitkan KTP-el",
            "latitude": "-6.2",
            "longitude": "106.8",
        }
    )
    values = _accepted(item)

    def shown(name: str) -> Any:
        # A quantity with its column's places, as the API answers it; a coordinate as sent.
        value = values[name]
        if value is None or name not in {"quantity", "denominator", "latitude", "longitude"}:
            return value
        return str(value.quantize(Decimal("0.0001")) if name in {"quantity", "denominator"} else value)

    expected = [shown(name) for name in ACTIVITY_COLUMNS]
    # The time as its text with the offset it was sent with, which PostgreSQL reads as the same instant.
    expected[ACTIVITY_COLUMNS.index("occurred_at")] = "2026-11-29T10:00:00.250000+05:45"
    # The offset as its text too: read as the smallint it is, not parsed as a JSON number first.
    expected[ACTIVITY_COLUMNS.index("occurred_utc_offset")] = "345"
    sent, head = _sent_and_head(values)
    row = activity_row(
        sent["activity_id"], row_head(head), own_as_answered(sent), str(values["occurred_utc_offset"])
    )
    assert orjson.loads(json_row_values([row])) == [expected]
    assert expected[ACTIVITY_COLUMNS.index("quantity")] == "12.5000"  # the column's scale
    assert values["occurred_utc_offset"] == 345
    # Its employee, plan and result travel in its head, once an indicator (``HEAD_COLUMNS``).
    assert dict(zip(HEAD_COLUMNS, row_head(head), strict=True)) == {
        name: values[name] for name in HEAD_COLUMNS
    }


class _AnsweringDriver:
    """A driver that answers a plain insert as having inserted every row, keeping its arguments."""

    def __init__(self) -> None:
        self.arguments: tuple[Any, ...] = ()

    async def execute(self, statement: str, *arguments: Any) -> str:
        self.arguments = arguments
        return f"INSERT 0 {len(orjson.loads(arguments[0]))}"


async def test_a_groups_items_carry_their_indicators_employee_plan_and_result_once_an_indicator() -> None:
    writer = OutboxWriter(outbox_table(MetaData()), producer="reporting")
    driver = _AnsweringDriver()
    transaction = IntakeTransaction(driver, "kab-sleman", writer, ("new", "skipping"), plainly=True)
    now = datetime.now(UTC)
    heads = {
        "ind-a1": ("emp-a", "plan-a", "res-a", "ind-a1"),
        "ind-a2": ("emp-a", "plan-a", "res-a2", "ind-a2"),
        "ind-b": ("emp-b", "plan-b", "res-b", "ind-b"),
    }
    order = ["ind-a1", "ind-b", "ind-a2", "ind-a1", "ind-b"]
    emitters = {
        employee_id: transaction.emitter(employee_id, "corr-1", now) for employee_id in ("emp-a", "emp-b")
    }
    for n, indicator_id in enumerate(order):
        item = ActivityCreate.model_validate(
            {
                "activity_id": f"activity-{n}",
                "indicator_id": indicator_id,
                "occurred_at": "2026-11-29T10:00:00+07:00",
                "quantity": "1",
                "description": "Menerbitkan KTP-el",
            }
        )
        head = heads[indicator_id]
        shown = orjson.dumps({"activity_id": item.activity_id, "latitude": None})
        emitters[head[0]](item.activity_id, head, own_as_answered(item.__dict__), shown, "420")

    assert await transaction.insert(5, [], now) == {f"activity-{n}" for n in range(5)}
    rows = orjson.loads(driver.arguments[0])
    # Each item's row holds its own values only, its indicator's id after its own.
    assert [row[:2] for row in rows] == [[f"activity-{n}", i] for n, i in enumerate(order)]
    assert all(len(row) == len(ACTIVITY_COLUMNS) for row in rows)
    # The heads: one an indicator, in the order first met, as one array a column.
    assert list(zip(*driver.arguments[7:11], strict=True)) == [
        heads[i] for i in ("ind-a1", "ind-b", "ind-a2")
    ]


def test_the_feeds_json_joined_from_its_parts_is_orjsons_of_the_feeds_copy() -> None:
    for fields in (
        {
            "quantity": "12.50",
            "denominator": "20",
            "obstacles": "Blanko habis",
            "latitude": "-6.2",
            "longitude": "106.8",
        },
        {
            "occurred_at": "2026-11-29T03:00:00Z",
            "description": 'Kata "kutip" \\ dan \u201cbaru\u201d\n ,"latitude": 1',
        },
        {"quantity": "0.0001", "latitude": "0", "longitude": "-179.999999"},
    ):
        item = ActivityCreate.model_validate(
            {
                "activity_id": "activity-0001_x",
                "indicator_id": 'indikator "1" \u00e9',
                "occurred_at": "2026-11-29T10:00:00.250+05:45",
                "description": "Menerbitkan KTP-el",
            }
            | fields
        )
        for submitted_at in ("2026-11-29T12:00:00+07:00", "2026-11-29T12:00:00.000001+09:00"):
            sent, head = _sent_and_head(_accepted(item) | {"submitted_at": submitted_at})
            shown = feed_json(sent["activity_id"], own_as_answered(sent), shown_around(head))
            assert shown == orjson.dumps(feed_payload(sent, head), option=ANSWER_JSON)
