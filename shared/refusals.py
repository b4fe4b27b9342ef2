"""Refusals (penolakan): the one way the domain and the use cases say no.

A refusal names a stable ``code`` for clients, the ``field`` at fault, what ``kind`` of no it is
(``shared.http_errors`` maps each kind to a status, once) and a ``message``: English source text with
``%(name)s`` placeholders filled from ``params``. The message is a gettext msgid: its Indonesian is
in the platform's one catalogue (``shared/locale``, the same the web pages use, so a text is
translated once; ``make web-messages`` extracts, ``make web-compile`` compiles). A parameter may be
a ``Term`` (a word the catalogue translates), a ``Label`` (a name the domain holds in both
languages) or a ``Wait`` (a time to wait, worded by Babel in the reader's locale); any other value
is shown as written. Write the message
as a literal in the ``Refusal(...)`` call (and a translated word in ``Term(...)``) so extraction
finds it; ``tests/unit/test_refusal_catalogue.py`` fails otherwise.

Pure Python: the domain raises these without knowing about HTTP or catalogues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from babel.dates import format_timedelta


class RefusalKind(StrEnum):
    """What kind of no: the caller's input, the current state, the caller's identity or rights, absence,
    the caller's pace, or the service's own state."""

    INVALID = "invalid"  # the request breaks a rule
    CONFLICT = "conflict"  # it clashes with the current state (e.g. a plan already approved)
    FORBIDDEN = "forbidden"  # the caller may not do this
    NOT_FOUND = "not_found"  # no such thing, or the caller may not know it exists
    TOO_LARGE = "too_large"  # a sent file is over its limit
    UNSUPPORTED_TYPE = "unsupported_type"  # a sent file is not of an accepted type
    UNAUTHENTICATED = "unauthenticated"  # no valid token: who the caller is is unknown
    RATE_LIMITED = "rate_limited"  # the caller sent too many requests; ``retry_after`` says when again
    UNAVAILABLE = "unavailable"  # the service cannot take it now; the client may send it again


@dataclass(frozen=True, slots=True)
class Term:
    """A word inside a message that is itself translated (e.g. a status), with its gettext context.

    The context keeps a short word apart from the same word elsewhere in the catalogue.
    """

    message: str
    context: str


@dataclass(frozen=True, slots=True)
class Label:
    """A name the domain already holds in both languages (an SKM item as the regulation prints it)."""

    en: str
    id: str


@dataclass(frozen=True, slots=True)
class Wait:
    """A time to wait before trying again, said in its largest sensible unit: "in 1 day" and
    "dalam 1 hari" rather than "in 86400 seconds" (the ``Retry-After`` header keeps the seconds)."""

    seconds: int

    def in_words(self, locale: str) -> str:
        """``in 2 hours`` / ``dalam 2 jam`` in a Babel locale (Babel's locale data, not a catalogue)."""
        return format_timedelta(timedelta(seconds=self.seconds), add_direction=True, locale=locale)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A person-facing text that is not a refusal (a warning, an explanation): an English msgid with
    its parameters, translated by the same catalogue lookup as a refusal's message.

    Write the message as a literal in the ``Phrase(...)`` call so extraction finds it. A parameter may
    be a ``Term``, a ``Label`` or another ``Phrase`` (a list joined by a translated word).
    """

    message: str
    params: Mapping[str, object] = field(default_factory=dict)


class Refusal(Exception):
    """A refused request: code, field, kind, and the message with its parameters (and, for a refusal
    of the moment, when the client may try again)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        kind: RefusalKind = RefusalKind.INVALID,
        params: Mapping[str, object] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.field = field
        self.kind = kind
        self.params: Mapping[str, object] = MappingProxyType(dict(params or {}))
        #: Seconds after which the client may send the request again (a rate limit, a transient fault).
        self.retry_after = retry_after
        #: The problems of a listing (``Refusal.listing``); empty for a refusal of one problem.
        self.listed: tuple[Refusal, ...] = ()
        super().__init__(f"{code}: {self.message_en}")

    @classmethod
    def listing(cls, *problems: Refusal, kind: RefusalKind | None = None) -> Refusal:
        """Several problems of one request refused at once (a work plan with three empty fields).

        The first problem gives the code and the field; the message names each problem's field
        before its own message: ``"a: must not be empty; b: must be positive"``.
        """
        first = problems[0]
        listing = cls(
            first.code, first.message, field=first.field, kind=kind or first.kind, params=first.params
        )
        listing.listed = problems
        listing.args = (f"{first.code}: {listing.message_en}",)
        return listing

    @property
    def problems(self) -> tuple[Refusal, ...]:
        """Each problem refused: those of a listing, else this refusal alone."""
        return self.listed or (self,)

    @property
    def message_en(self) -> str:
        """The message in English, the source language (for logs and tests)."""
        if self.listed:
            return "; ".join(f"{problem.field}: {problem.message_en}" for problem in self.listed)
        return self.message % {name: _english(value) for name, value in self.params.items()}

    def at(self, field: str | None) -> Refusal:
        """The same refusal naming another field (a use case naming the request field it came from)."""
        return Refusal(
            self.code,
            self.message,
            field=field,
            kind=self.kind,
            params=self.params,
            retry_after=self.retry_after,
        )

    def __repr__(self) -> str:
        return f"Refusal({self.code!r}, field={self.field!r}, kind={self.kind.value!r})"


def _english(value: object) -> object:
    if isinstance(value, Phrase):
        return value.message % {name: _english(inner) for name, inner in value.params.items()}
    if isinstance(value, Term):
        return value.message
    if isinstance(value, Wait):
        return value.in_words("en")
    return value.en if isinstance(value, Label) else value


def database_reconnecting() -> Refusal:
    """A transient database fault: the pooled connection was dropped (a restart) and is being
    replaced; the client may send the request again in a second. A new refusal each time, since an
    exception raised carries its traceback and cause."""
    return Refusal(
        "database_reconnecting",
        "The database connection was lost and is being replaced; send the request again.",
        kind=RefusalKind.UNAVAILABLE,
        retry_after=1,
    )


def database_busy() -> Refusal:
    """Every connection of the service's pool stayed busy for the pool's whole wait (a burst past
    what the service can take): the client may send the request again in a second."""
    return Refusal(
        "database_busy",
        "The service is busy and could not take the request now; send it again in a moment.",
        kind=RefusalKind.UNAVAILABLE,
        retry_after=1,
    )
