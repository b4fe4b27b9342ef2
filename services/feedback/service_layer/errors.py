"""Turning domain rule violations into the API's bilingual errors."""

from __future__ import annotations

from services.feedback.domain.errors import DomainError, ReopenWindowClosedError, TransitionNotAllowedError
from shared.errors import ApiError, Conflict, Unprocessable


def as_api_error(error: DomainError) -> ApiError:
    """A refused life-cycle move is a conflict with the current state (409); any other rule is 422."""
    if isinstance(error, TransitionNotAllowedError | ReopenWindowClosedError):
        return Conflict(error.code, error.message_en, error.message_id, field=error.field)
    return Unprocessable(error.code, error.message_en, error.message_id, field=error.field)
