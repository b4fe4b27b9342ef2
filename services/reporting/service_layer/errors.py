"""Errors of the reporting service beyond the shared ones, and the mapping from broken domain rules."""

from __future__ import annotations

from services.reporting.domain.activity import RuleViolation
from shared.errors import ApiError, Conflict, Unprocessable


class PayloadTooLarge(ApiError):
    """The uploaded file is over the size limit."""

    status_code = 413


class UnsupportedMediaType(ApiError):
    """The uploaded file's content is not an accepted type (or does not match its label)."""

    status_code = 415


class StorageUnavailable(ApiError):
    """The evidence store could not be reached; the client may retry."""

    status_code = 503


def unprocessable(violation: RuleViolation) -> Unprocessable:
    """A broken input rule as a 422 naming the field."""
    return Unprocessable(violation.code, violation.message_en, violation.message_id, field=violation.field)


def conflict(violation: RuleViolation) -> Conflict:
    """A refused state transition as a 409."""
    return Conflict(violation.code, violation.message_en, violation.message_id, field=violation.field)


def as_error_body(violation: RuleViolation) -> dict[str, object]:
    """The error object of a per-item batch rejection (the same shape as every error response)."""
    return {
        "code": violation.code,
        "field": violation.field,
        "message": violation.message_en,
        "message_id": violation.message_id,
    }
