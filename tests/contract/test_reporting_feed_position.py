"""Reporting's history answers carry the live feed's position, documented as one of the feed's ids.

A client that lists a rater's team and then follows ``GET /v1/feed`` sends the list's
``feed_position`` as ``Last-Event-ID``: the OpenAPI document must say so, and its pattern must be
the one the feed accepts back.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from kinerja.services import definition
from services.reporting.adapters.live_feed import FEED_EVENT_ID
from shared.runtime import build_app
from shared.wiring import build_context

HISTORY_ROUTES = ("/v1/activities", "/v1/employees/{employee_id}/activities")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    reporting = definition("reporting")
    openapi: dict[str, Any] = build_app(reporting, build_context(reporting)).openapi()
    return openapi


def _answer_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    reference = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    schema: dict[str, Any] = document["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize("path", HISTORY_ROUTES)
def test_each_history_answer_documents_the_feed_position(document: dict[str, Any], path: str) -> None:
    position = _answer_schema(document, path)["properties"]["feed_position"]
    variants = {variant.get("type"): variant for variant in position["anyOf"]}
    assert set(variants) == {"string", "null"}
    assert variants["string"]["pattern"] == FEED_EVENT_ID
    assert "Last-Event-ID" in position["description"]
    assert "GET /v1/feed" in position["description"]


def test_the_longest_position_fits_the_feeds_resume_header(document: dict[str, Any]) -> None:
    """What the pattern admits (two 20-digit numbers, a slash, six digits) the header takes back."""
    parameters = {p["name"]: p for p in document["paths"]["/v1/feed"]["get"]["parameters"]}
    header = parameters["Last-Event-ID"]
    longest = "9" * 20 + "-" + "9" * 20 + "/" + "9" * 6
    assert re.fullmatch(FEED_EVENT_ID, longest)
    assert header["in"] == "header"
    assert "feed_position" in header["description"]
    assert len(longest) <= next(v["maxLength"] for v in header["schema"]["anyOf"] if v["type"] == "string")
