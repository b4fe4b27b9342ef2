"""Names the fields of the planning domain's refusals as the API's clients send them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.refusals import Refusal

_INDEX = re.compile(r"\[(\d+)\]")

#: Last segments of domain field paths and the request fields they stand for.
_FIELD_NAMES: dict[str, str] = {
    "supports": "supports_result_id",
    "split": "period_targets",
    "rejection_reason": "reason",
    "supervisor": "supervisor_id",
    "unit_code": "unit_id",
    "parent_code": "parent_unit_id",
}


def api_field(domain_field: str, *, year: int | None = None, renames: Mapping[str, str] | None = None) -> str:
    """The request field a domain path names.

    Indexes become dotted segments and domain names become the names clients send, e.g.
    ``results[0].split.Q1`` → ``results.0.period_targets.2026-Q1``.
    """
    names = {**_FIELD_NAMES, **(renames or {})}
    path = _INDEX.sub(r".\1", domain_field)
    path = path.replace(".target.unit", ".unit_of_measure")
    if path == "target.unit":
        path = "unit_of_measure"
    parts = path.split(".")
    translated: list[str] = []
    for position, part in enumerate(parts):
        previous = parts[position - 1] if position else None
        if previous == "split" and year is not None:
            translated.append(f"{year}-{part}")
        else:
            translated.append(names.get(part, part))
    return ".".join(translated)


def in_api_terms(
    refusal: Refusal, *, year: int | None = None, renames: Mapping[str, str] | None = None
) -> Refusal:
    """A domain refusal naming the request's fields, each problem listed with its field.

    Planning's rules often find several problems in one request (a plan with three empty fields):
    the answer lists them all, each named by the field the client sent.
    """
    return Refusal.listing(
        *(
            problem.at(api_field(problem.field or "", year=year, renames=renames))
            for problem in refusal.problems
        ),
        kind=refusal.kind,
    )
