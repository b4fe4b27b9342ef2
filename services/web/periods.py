"""The periods a person may choose on the pages: a year, or one of the region's own periods in it.

Scoring keeps scorecards, and feedback satisfaction figures, for the year and for the region's
periods (monthly, quarterly or semester, as planning sets it per region; feedback's public region
profile says which), so those are what the pages offer. Keys are the platform's
(``shared/contracts/periods.py``); ``Formatter.period`` names them in the person's language.
"""

from __future__ import annotations

from shared.contracts.periods import period_key_parts
from shared.region_time import region_now

#: A region's kind of period: the key's letter and how many there are in a year.
KINDS = {"monthly": ("M", 12), "quarterly": ("Q", 4), "semester": ("S", 2)}
DEFAULT_KIND = "quarterly"


def _kind(kind: str) -> tuple[str, int]:
    return KINDS.get(kind, KINDS[DEFAULT_KIND])


def period_key(year: int, kind: str, number: int) -> str:
    """``2026-Q4``, ``2026-S1``, ``2026-M07``."""
    letter, _ = _kind(kind)
    return f"{year}-{letter}{number:02d}" if letter == "M" else f"{year}-{letter}{number}"


def periods_of_year(year: int, kind: str) -> list[str]:
    """The region's periods in a year, in order."""
    return [period_key(year, kind, number) for number in range(1, _kind(kind)[1] + 1)]


def current_period(kind: str, timezone: str | None) -> str:
    """The region's period today in its own zone (on 31 December at 23.00 WIB, WIT is in January)."""
    today = region_now(timezone)
    months = 12 // _kind(kind)[1]
    return period_key(today.year, kind, (today.month - 1) // months + 1)


def chosen_period(asked: str | None, kind: str, timezone: str | None) -> str:
    """The period asked for when the region keeps it (a year, or one of its own kind), else today's."""
    parts = period_key_parts(asked) if asked else None
    if asked and parts is not None and parts.letter in (None, _kind(kind)[0]):
        return asked
    return current_period(kind, timezone)


def period_choices(kind: str, shown: str, today: str) -> list[tuple[int, list[str]]]:
    """The choices by year, newest first: this year and the last, and the shown period's year; each
    year offered whole and then in the region's periods up to ``today`` (the current one's key)."""
    this_year, shown_year = int(today[:4]), int(shown[:4])
    years = sorted({this_year, this_year - 1, shown_year}, reverse=True)
    # Periods yet to come are left out (same year and kind: their keys sort in time order).
    return [
        (year, [str(year), *(key for key in periods_of_year(year, kind) if key <= today or key == shown)])
        for year in years
    ]
