"""Turns refusals of the planning domain into the HTTP errors of shared.errors, naming API fields."""

from __future__ import annotations

import re
from collections.abc import Mapping

from services.planning.domain.errors import (
    ConflictError,
    DomainError,
    InvalidTransitionError,
    PermissionDeniedError,
    SupervisorCycleError,
)
from shared.errors import ApiError, Conflict, Forbidden, Unprocessable

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


def to_api_error(
    error: DomainError, *, year: int | None = None, renames: Mapping[str, str] | None = None
) -> ApiError:
    """The HTTP error for a domain refusal: 403 not allowed, 409 wrong state or clash, else 422."""
    problem = error.problems[0]
    field = api_field(problem.field, year=year, renames=renames)
    message_en = "; ".join(
        f"{api_field(p.field, year=year, renames=renames)}: {p.message_en}" for p in error.problems
    )
    message_id = "; ".join(
        f"{api_field(p.field, year=year, renames=renames)}: {p.message_id}" for p in error.problems
    )
    error_class: type[ApiError]
    if isinstance(error, PermissionDeniedError):
        error_class = Forbidden
    elif isinstance(error, ConflictError | InvalidTransitionError | SupervisorCycleError):
        error_class = Conflict
    else:
        # Invalid values, unknown references in the request and cross-region links: the caller's input.
        error_class = Unprocessable
    return error_class(problem.code, message_en, message_id, field=field)
