"""A quantity is shown and published as a plain number, never with an exponent: sent as the text
``"1e3"`` it read ``Decimal('1E+3')``, and the live feed, the event and the row's text said ``1E+3``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from services.reporting.entrypoints.schemas import valid_activity, valid_batch
from services.reporting.service_layer.intake_values import feed_head, feed_payload
from services.reporting.service_layer.schemas import ActivityCorrection, ActivityCreate
from shared.contracts.reporting import ActivityCorrected

_ITEM = {
    "activity_id": "a1b2c3d4e5f60708",
    "indicator_id": "ind-0001",
    "occurred_at": "2026-03-04T08:15:00+07:00",
    "description": "Melayani 12 warga di loket",
}


def _every_reading(number: str) -> list[dict[str, Any]]:
    """The item with ``number`` as its quantity and denominator, read each way the intake reads it:
    from the JSON text alone and in a batch, and from the decoded body."""
    body = json.dumps({**_ITEM, "quantity": "N", "denominator": "N"}).replace('"N"', number).encode()
    batch = valid_batch(b'{"items": [%s]}' % body)
    single = valid_activity(body)
    assert batch is not None
    assert single is not None
    return [*batch.items, single.__dict__, ActivityCreate.model_validate(json.loads(body)).__dict__]


def _shown(sent: dict[str, Any]) -> dict[str, object]:
    """The live feed's copy of the item's fields; the activity's event and its row are cut from its JSON."""
    head = feed_head(
        sent,
        region_id="r-1",
        employee_id="e-1",
        indicator={"plan_id": "p-1", "result_id": "x-1"},
        submitted_at=datetime(2026, 3, 4, 2, tzinfo=UTC),
    )
    shown: dict[str, object] = orjson.loads(orjson.dumps(feed_payload(sent, head)))
    return shown


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ('"1e3"', "1000"),
        ('"1E+3"', "1000"),
        ('"1.0E+2"', "100"),
        ('"0e5"', "0"),
        ('"0.0000000"', "0.0000"),  # Decimal writes this zero 0E-7; the database keeps four places
        # The digits as sent otherwise, as before.
        ("1e3", "1000.0"),
        ('"1.50"', "1.50"),
        ("1.50", "1.5"),
        ('"12"', "12"),
        ("12", "12"),
    ],
)
def test_a_quantity_is_shown_and_published_without_an_exponent(number: str, shown: str) -> None:
    # The feed shows it (and its event carries it) as the API answers it: with the four places
    # the database keeps (session 36).
    as_answered = str(Decimal(shown).quantize(Decimal("0.0001")))
    for item in _every_reading(number):
        payload = _shown(item)
        assert (payload["quantity"], payload["denominator"]) == (as_answered, as_answered), number
    # A correction's event too.
    correction = ActivityCorrection.model_validate(
        {"occurred_at": _ITEM["occurred_at"], "quantity": json.loads(number), "description": "Melayani"}
    )
    corrected = ActivityCorrected(
        region_id="r-1",
        activity_id="a-1",
        employee_id="e-1",
        occurred_at=correction.occurred_at,
        quantity=correction.quantity,
        description=correction.description,
    )
    assert orjson.loads(corrected.model_dump_json())["quantity"] == shown
    assert Decimal(shown) == Decimal(json.loads(number))  # the same number
