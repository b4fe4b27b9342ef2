"""The period key (kunci periode): how every API and event of the platform names a period.

The year ``2026``, a semester ``2026-S1``, a quarter ``2026-Q3`` or a month ``2026-M07``: upper
case, months with two digits, one spelling per period so that keys stay unique in storage. This is
the spelling the events have always carried. Which periods a region counts in, and their first and
last days, is each service's own calendar logic; this module only says what a key is.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, NamedTuple

from pydantic import AfterValidator, WithJsonSchema

from shared.validation import invalid

PERIOD_KEY_PATTERN: Final = r"^[1-9][0-9]{3}(-(S[12]|Q[1-4]|M(0[1-9]|1[0-2])))?$"
PERIOD_KEY_EXAMPLES: Final = ("2026", "2026-S1", "2026-Q3", "2026-M07")
PERIOD_KEY_DESCRIPTION: Final = (
    "Period: the year (2026), a semester (2026-S1), a quarter (2026-Q3) or a month (2026-M07)."
)
_KEY: Final = re.compile(PERIOD_KEY_PATTERN)


class PeriodKeyParts(NamedTuple):
    """What a key names: its year, and for a part of the year its letter (S, Q, M) and number."""

    year: int
    letter: str | None
    number: int | None


def period_key_parts(key: str) -> PeriodKeyParts | None:
    """The parts of a period key, or None when the text is no key."""
    if not _KEY.fullmatch(key):
        return None
    if len(key) == 4:
        return PeriodKeyParts(int(key), None, None)
    return PeriodKeyParts(int(key[:4]), key[5], int(key[6:]))


def _check_key(value: str) -> str:
    if period_key_parts(value) is None:
        examples = ", ".join(PERIOD_KEY_EXAMPLES)
        raise invalid(
            f"{value!r} is not a period such as {examples}", f"{value!r} bukan periode seperti {examples}"
        )
    return value


def _schema(*, pattern: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": PERIOD_KEY_DESCRIPTION}
    if pattern:
        schema["pattern"] = PERIOD_KEY_PATTERN
    return schema | {"examples": list(PERIOD_KEY_EXAMPLES)}


#: A period in an API (path, query, body or answer), documented with its pattern and examples.
PeriodKey = Annotated[str, AfterValidator(_check_key), WithJsonSchema(_schema(pattern=True))]

#: The same key in an event contract, validated alike. Its published schema states the pattern in
#: words only: a pattern added to a v1 schema is a narrowing the compatibility check refuses, though
#: every key ever published already matches it.
EventPeriodKey = Annotated[str, AfterValidator(_check_key), WithJsonSchema(_schema(pattern=False))]
