"""Every date a caller sends, in every API, is held to the platform's one date window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from kinerja.services import SERVICE_NAMES, definition
from shared.dates import BoundedDate, BoundedInstant, DateWindow
from shared.runtime import build_app
from shared.wiring import build_context


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if "$ref" in schema:
            yield schema["$ref"].rsplit("/", 1)[-1]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _dates(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every date- and time-typed schema inside one schema (nullable ones included)."""
    if isinstance(schema, dict):
        if schema.get("format") in ("date", "date-time"):
            yield where, schema
        for key, value in schema.items():
            yield from _dates(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for value in schema:
            yield from _dates(value, where)


def request_dates(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Dates in parameters and in request bodies (and the schemas those bodies refer to)."""
    components = document.get("components", {}).get("schemas", {})
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield from _dates(parameter["schema"], f"{method.upper()} {path} {parameter['name']}")
            pending = list(_refs(operation.get("requestBody", {})))
            seen: set[str] = set()
            while pending:
                name = pending.pop()
                if name in seen:
                    continue
                seen.add(name)
                yield from _dates(components[name], f"{method.upper()} {path} body {name}")
                pending.extend(_refs(components[name]))


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_date_a_caller_sends_is_held_to_the_window(service):
    service_definition = definition(service)
    document = build_app(service_definition, build_context(service_definition)).openapi()
    found = list(request_dates(document))
    assert found, f"{service} takes no dates?"
    for where, schema in found:
        assert schema.get("x-date-window") is True, where


def test_the_window_refuses_slips_and_keeps_the_years_served():
    window = DateWindow(earliest=date(2000, 1, 1), years_ahead=10)
    today = date(2026, 12, 2)
    assert window.refusal(date(2000, 1, 1), today) is None
    assert window.refusal(date(2036, 12, 31), today) is None
    assert window.refusal(date(1999, 12, 31), today) is not None
    assert window.refusal(date(2037, 1, 1), today) is not None

    class Move(BaseModel):
        effective_from: BoundedDate

    for slip in ("9999-12-31", "0001-01-01"):
        with pytest.raises(ValidationError):
            Move.model_validate({"effective_from": slip})


def test_a_time_a_device_sends_is_held_to_the_same_window():
    class Visit(BaseModel):
        visited_at: BoundedInstant

    assert Visit.model_validate({"visited_at": "2026-03-01T08:00:00+07:00"}).visited_at.utcoffset()
    for slip in ("0001-01-01T00:00:00+00:00", "9999-12-31T10:00:00+07:00", "2026-03-01T08:00:00"):
        with pytest.raises(ValidationError):
            Visit.model_validate({"visited_at": slip})
