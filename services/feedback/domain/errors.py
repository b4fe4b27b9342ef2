"""Domain errors of the feedback service, bilingual (Bahasa Indonesia first, English second).

Every error carries a stable machine ``code`` (for API clients and tests), the ``field`` it is
about (or ``None``) and one message per language. Outer layers map these to HTTP problems or
event payloads; the domain never decides status codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

INDONESIAN = "id"
ENGLISH = "en"


class DomainError(Exception):
    """Base of every rule violation raised by the feedback domain."""

    default_code: ClassVar[str] = "feedback.domain_error"

    def __init__(
        self,
        *,
        message_id: str,
        message_en: str,
        field: str | None = None,
        code: str | None = None,
    ) -> None:
        # Indonesian first in str(): most messages end up in front of citizens or ASN.
        super().__init__(f"{message_id} / {message_en}")
        self.code: str = code or self.default_code
        self.field: str | None = field
        self.message_id: str = message_id
        self.message_en: str = message_en

    @property
    def messages(self) -> Mapping[str, str]:
        """Messages keyed by language tag ("id", "en")."""
        return {INDONESIAN: self.message_id, ENGLISH: self.message_en}

    def message(self, language: str = INDONESIAN) -> str:
        """Message in the given language, falling back to Bahasa Indonesia."""
        return self.message_en if language == ENGLISH else self.message_id


class InvalidValueError(DomainError):
    """A value given to the domain is malformed or out of range."""

    default_code: ClassVar[str] = "feedback.invalid_value"


class ScoreOutOfRangeError(InvalidValueError):
    """A score lies outside its scale (e.g. an SKM item outside 1..4)."""

    default_code: ClassVar[str] = "feedback.score_out_of_range"

    def __init__(
        self, *, field: str, label_id: str, label_en: str, low: int, high: int, kind_id: str, kind_en: str
    ) -> None:
        super().__init__(
            field=field,
            message_id=f"Nilai {kind_id} '{label_id}' harus antara {low} dan {high}",
            message_en=f"Score for {kind_en} '{label_en}' must be between {low} and {high}",
        )
        self.low = low
        self.high = high


class MissingValueError(InvalidValueError):
    """A required value was not given."""

    default_code: ClassVar[str] = "feedback.missing_value"

    def __init__(self, *, field: str, label_id: str, label_en: str) -> None:
        super().__init__(
            field=field,
            message_id=f"'{label_id}' wajib diisi",
            message_en=f"'{label_en}' is required",
        )


class InvalidConfigurationError(DomainError):
    """A region's configuration is internally inconsistent."""

    default_code: ClassVar[str] = "feedback.invalid_configuration"


class TransitionNotAllowedError(DomainError):
    """A complaint was asked to move to a status its life cycle does not allow from here."""

    default_code: ClassVar[str] = "feedback.complaint.transition_not_allowed"

    def __init__(self, *, current: str, requested: str, allowed: Iterable[str]) -> None:
        self.current = current
        self.requested = requested
        self.allowed: tuple[str, ...] = tuple(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "-"
        super().__init__(
            field="status",
            message_id=(
                f"Status pengaduan tidak dapat diubah dari '{current}' ke '{requested}'; "
                f"status yang diizinkan: {allowed_text}"
            ),
            message_en=(f"Complaint cannot move from '{current}' to '{requested}'; allowed: {allowed_text}"),
        )


class ReopenWindowClosedError(DomainError):
    """A citizen tried to reopen a complaint after the reopening window ended."""

    default_code: ClassVar[str] = "feedback.complaint.reopen_window_closed"

    def __init__(self, *, working_days: int) -> None:
        self.working_days = working_days
        super().__init__(
            field="status",
            message_id=(
                f"Pengaduan hanya dapat dibuka kembali paling lambat {working_days} hari kerja "
                "setelah ditutup"
            ),
            message_en=f"A complaint can only be reopened within {working_days} working days of closing",
        )


class InvalidTrackingCodeError(InvalidValueError):
    """A complaint tracking code is malformed or fails its check character."""

    default_code: ClassVar[str] = "feedback.complaint.invalid_tracking_code"

    def __init__(self) -> None:
        super().__init__(
            field="tracking_code",
            message_id="Kode pelacakan pengaduan tidak valid; periksa kembali penulisannya",
            message_en="The complaint tracking code is not valid; please check how it was typed",
        )
