"""Event contracts stay backward compatible with their snapshots under tests/contract/schemas/.

After an additive change or a new event type, refresh with ``python -m tests.contract.snapshot_schemas``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.contracts import EVENT_TYPES
from tests.contract.schema_compatibility import breaking_changes
from tests.contract.snapshot_schemas import (
    current_schemas,
    problems,
    refresh,
    schema_of,
    stored_snapshots,
    write_snapshot,
)


def test_every_event_contract_is_compatible_with_its_snapshot():
    found = problems(current_schemas(), stored_snapshots())
    assert not found, "\n".join(["event contracts changed incompatibly (or lack a snapshot):", *found])


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_an_optional_field_added_to_any_contract_keeps_it_compatible_with_its_snapshot(event_type):
    cls = EVENT_TYPES[event_type]
    # A copy with the same fields, not a subclass: the Event class tree stays the registry's own.
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in cls.model_fields.items()}
    grown = create_model(
        event_type,
        __config__=cls.model_config,
        __doc__=cls.__doc__,
        **fields,
        added_later=(str | None, Field(default=None, description="An additive change.")),
    )
    snapshot = stored_snapshots()[f"{cls.topic}/{event_type}.json"]
    assert breaking_changes(snapshot, schema_of(grown)) == []


def test_every_event_type_and_the_envelope_have_a_snapshot_file():
    recorded = stored_snapshots().keys()
    assert "Envelope.json" in recorded
    for name, cls in EVENT_TYPES.items():
        assert f"{cls.topic}/{name}.json" in recorded


# --- The checker itself: each breaking kind is refused, additive changes pass. ---------------------


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    indicator_id: str
    direction: Literal["higher_is_better", "lower_is_better"]
    target: Decimal | None = None


class Base(BaseModel):
    """The snapshot every variant below is compared with (shaped like an event, kept out of the registry)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    topic: ClassVar[str] = "test.thing.v1"

    region_id: str
    thing_id: str
    count: int
    note: str | None = None
    kind: Literal["a", "b", "c"] = "a"
    code: str = Field(max_length=10)
    tags: list[str] = Field(default_factory=list)
    scores: list[int] = Field(min_length=9, max_length=9)
    when: datetime
    indicators: list[Indicator]
    targets: dict[str, Decimal] = Field(default_factory=dict)


def variant(base: type[BaseModel], **fields: Any) -> type[BaseModel]:
    """The base model with some fields added or redefined: ``name=(annotation, default or Field)``."""
    return create_model(f"{base.__name__}Variant", __base__=base, **fields)


def _breaks(old: type[BaseModel] | dict[str, Any], new: type[BaseModel] | dict[str, Any]) -> list[str]:
    old_schema = old if isinstance(old, dict) else schema_of(old)
    new_schema = new if isinstance(new, dict) else schema_of(new)
    return [f"{b.kind} @ {b.path}" for b in breaking_changes(old_schema, new_schema)]


def test_the_same_schema_is_compatible():
    assert _breaks(Base, Base) == []


def test_a_new_optional_field_and_a_new_enum_value_are_additive():
    additive = variant(
        Base,
        reason=(str | None, Field(default=None, description="new and optional")),
        evidence=(list[str], Field(default_factory=list)),
        kind=(Literal["a", "b", "c", "d"], "a"),
    )
    assert _breaks(Base, additive) == []


def test_an_optional_field_inside_a_nested_model_is_additive():
    richer = variant(Indicator, unit_of_measure=(str | None, None))
    assert _breaks(Base, variant(Base, indicators=(list[richer], ...))) == []  # type: ignore[valid-type]


def test_docs_only_changes_are_compatible():
    documented = variant(Base, thing_id=(str, Field(description="The thing (benda).", title="Thing")))
    assert _breaks(Base, documented) == []


def test_a_removed_field_is_breaking():
    schema = schema_of(Base)
    del schema["properties"]["note"]
    assert _breaks(Base, schema) == ["field removed @ note"]


def test_a_new_required_field_is_breaking():
    assert _breaks(Base, variant(Base, year=(int, ...))) == ["new required field @ year"]


def test_an_optional_field_that_became_required_is_breaking():
    assert _breaks(Base, variant(Base, note=(str | None, ...))) == ["field became required @ note"]


@pytest.mark.parametrize("annotation", [str, int | None, float, Decimal, list[int]])
def test_a_changed_type_is_breaking(annotation):
    assert set(_breaks(Base, variant(Base, count=(annotation, ...)))) == {"type changed @ count"}


def test_a_nullable_field_that_stops_accepting_null_is_breaking():
    assert "type changed @ note" in _breaks(Base, variant(Base, note=(str, "")))


def test_a_type_changed_inside_a_nested_model_is_breaking():
    other = variant(Indicator, target=(float | None, None))
    nested = variant(Base, indicators=(list[other], ...))  # type: ignore[valid-type]
    assert set(_breaks(Base, nested)) == {"type changed @ indicators[].target"}


def test_a_changed_mapping_value_type_is_breaking():
    targets = variant(Base, targets=(dict[str, int], Field(default_factory=dict)))
    assert set(_breaks(Base, targets)) == {"type changed @ targets{*}"}


def test_removed_enum_values_are_breaking():
    narrower = variant(Base, kind=(Literal["a", "b"], "a"))
    assert _breaks(Base, narrower) == ["enum values removed @ kind"]


def test_an_enum_widened_to_free_text_is_breaking():
    assert "type changed @ kind" in _breaks(Base, variant(Base, kind=(str, "a")))


def test_removed_enum_values_in_a_nested_model_are_breaking():
    higher_only = variant(Indicator, direction=(Literal["higher_is_better"], ...))
    nested = variant(Base, indicators=(list[higher_only], ...))  # type: ignore[valid-type]
    assert _breaks(Base, nested) == ["enum values removed @ indicators[].direction"]


@pytest.mark.parametrize(
    "field",
    [
        Field(max_length=5),
        Field(max_length=10, min_length=2),
        Field(max_length=10, pattern=r"^[a-z]+$"),
        Field(),
    ],
)
def test_a_changed_constraint_is_breaking(field):
    assert _breaks(Base, variant(Base, code=(str, field))) == ["constraint changed @ code"]


def test_a_changed_list_length_is_breaking():
    shorter = variant(Base, scores=(list[int], Field(min_length=7, max_length=7)))
    assert _breaks(Base, shorter) == ["constraint changed @ scores"] * 2


def test_a_changed_default_is_breaking():
    class OtherDefault(Base):
        kind: Literal["a", "b", "c"] = "b"

    assert _breaks(Base, OtherDefault) == ["default changed @ kind"]


def test_refusing_unknown_fields_is_breaking():
    class Strict(Base):
        model_config = ConfigDict(extra="forbid")

    assert _breaks(Base, Strict) == ["unknown fields refused @ "]


def test_a_changed_date_format_is_breaking():
    assert _breaks(Base, variant(Base, when=(date, ...))) == ["constraint changed @ when"]


# --- The snapshot files: new types, retired types, refreshing. -------------------------------------


def test_a_new_event_type_without_a_snapshot_fails(tmp_path):
    class Brand(Base):
        topic: ClassVar[str] = "test.brand.v1"

    for path, schema in current_schemas({"Base": Base}).items():
        write_snapshot(tmp_path / path, schema)
    found = problems(current_schemas({"Base": Base, "Brand": Brand}), stored_snapshots(tmp_path))
    assert len(found) == 1
    assert found[0].startswith("test.brand.v1/Brand.json: no snapshot")


def test_a_snapshot_whose_event_class_disappeared_fails(tmp_path):
    for path, schema in current_schemas({"Base": Base}).items():
        write_snapshot(tmp_path / path, schema)
    found = problems(current_schemas({}), stored_snapshots(tmp_path))
    assert len(found) == 1
    assert found[0].startswith("test.thing.v1/Base.json: the snapshot has no event class")


def test_a_breaking_change_against_a_stored_snapshot_is_reported_with_its_path(tmp_path):
    for path, schema in current_schemas({"Base": Base}).items():
        write_snapshot(tmp_path / path, schema)
    edited = current_schemas({"Base": Base})
    del edited["test.thing.v1/Base.json"]["properties"]["count"]
    edited["test.thing.v1/Base.json"]["required"].remove("count")
    assert problems(edited, stored_snapshots(tmp_path)) == [
        "test.thing.v1/Base.json: count: field removed: consumers of the old schema still read it"
    ]


def test_refresh_records_compatible_schemas_and_refuses_breaking_ones(tmp_path):
    written, refused = refresh(tmp_path)
    assert refused == []
    assert set(written) == set(current_schemas())
    assert problems(current_schemas(), stored_snapshots(tmp_path)) == []

    envelope = tmp_path / "Envelope.json"
    stale = json.loads(envelope.read_text())
    stale["properties"]["retired"] = {"type": "string"}
    write_snapshot(envelope, stale)
    written, refused = refresh(tmp_path)
    assert written == []
    assert refused == ["Envelope.json: retired: field removed: consumers of the old schema still read it"]
    assert "retired" in json.loads(envelope.read_text())["properties"]
