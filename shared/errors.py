"""Errors the HTTP layer turns into clear 4xx responses, in Bahasa Indonesia and English."""

from __future__ import annotations


class ApiError(Exception):
    """A caller's mistake or a refused action, with a message a person can act on."""

    status_code = 400

    def __init__(self, code: str, message_en: str, message_id: str, *, field: str | None = None) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_id = message_id
        self.field = field

    def body(self) -> dict[str, object]:
        """The JSON error body every service returns."""
        return {
            "error": {
                "code": self.code,
                "field": self.field,
                "message": self.message_en,
                "message_id": self.message_id,
            }
        }


class NotFound(ApiError):
    """The thing does not exist, or the caller may not know that it does."""

    status_code = 404


class Forbidden(ApiError):
    """The caller is known but may not do this."""

    status_code = 403


class Unauthorized(ApiError):
    """No valid credentials were presented."""

    status_code = 401


class Conflict(ApiError):
    """The request clashes with the current state (e.g. editing an approved plan)."""

    status_code = 409


class Unprocessable(ApiError):
    """The request is well-formed but breaks a rule."""

    status_code = 422


class TooManyRequests(ApiError):
    """A rate limit was hit; ``retry_after`` says when to try again."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "rate_limited",
            f"Too many requests; try again in {retry_after} seconds.",
            f"Terlalu banyak permintaan; coba lagi dalam {retry_after} detik.",
        )
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    """The service cannot take the request right now; the client may send it again."""

    status_code = 503
