"""One period key for the whole platform: every API and event that carries a period spells it alike.

Read from the OpenAPI documents and the event registry, so a new route or event with a period is
covered the moment it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError, create_model

from kinerja.services import SERVICE_NAMES, definition
from shared.contracts import EVENT_TYPES
from shared.contracts.periods import PERIOD_KEY_EXAMPLES, PERIOD_KEY_PATTERN, period_key_parts
from shared.runtime import build_app
from shared.wiring import build_context

GOOD_KEYS = ("2026", "2026-S2", "2026-Q1", "2026-M07", "2026-M12")
BAD_KEYS = ("26", "2026-q1", "2026-M7", "2026-Q5", "2026-S3", "2026-M13", "2026-Y", "0999", "2026-Q1 ")


def _openapi(service: str) -> dict[str, Any]:
    service_definition = definition(service)
    document: dict[str, Any] = build_app(service_definition, build_context(service_definition)).openapi()
    return document


def _period_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every parameter and schema property that carries a period, with where it is."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "period":
                    yield f"{method.upper()} {path} ?{parameter['name']}", parameter["schema"]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        for field, prop in schema.get("properties", {}).items():
            if field == "period":
                yield f"{name}.{field}", prop
            if field == "period_targets":
                key_patterns = list(prop.get("patternProperties", {"": None}))
                yield f"{name}.{field} (keys)", {"pattern": key_patterns[0]}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    variants: list[dict[str, Any]] = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    assert len(variants) == 1, schema
    return variants[0]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_period_in_the_openapi_document_is_the_one_documented_key(service):
    found = list(_period_schemas(_openapi(service)))
    if service != "reporting":
        assert found, f"{service} carries no period?"
    for where, schema in found:
        assert _without_null(schema)["pattern"] == PERIOD_KEY_PATTERN, where
        if "keys" not in where:
            assert _without_null(schema)["examples"] == list(PERIOD_KEY_EXAMPLES), where


@pytest.mark.parametrize(
    "event_type", sorted(name for name, cls in EVENT_TYPES.items() if "period" in cls.model_fields)
)
def test_every_event_that_carries_a_period_refuses_what_is_not_a_key(event_type):
    field = EVENT_TYPES[event_type].model_fields["period"]
    carrier = create_model("Carrier", period=(str, field))
    for key in GOOD_KEYS:
        assert carrier.model_validate({"period": key}).model_dump() == {"period": key}
    for key in BAD_KEYS:
        with pytest.raises(ValidationError):
            carrier.model_validate({"period": key})


def test_a_key_names_its_year_kind_and_index_and_anything_else_is_no_key():
    assert period_key_parts("2026") == (2026, None, None)
    assert period_key_parts("2026-S2") == (2026, "S", 2)
    assert period_key_parts("2026-M07") == (2026, "M", 7)
    for key in BAD_KEYS:
        assert period_key_parts(key) is None
