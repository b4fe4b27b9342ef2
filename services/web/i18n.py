"""Languages, translations and locale formatting of the pages.

Bahasa Indonesia is the default, English is on a switch remembered in a cookie. Texts are written
in English in the code and templates (gettext's source language) and translated in the
platform's one catalogue, ``shared/locale`` (``shared.i18n``: the services' refusals are there
too, so a text is translated once; ``make web-messages`` extracts and updates, ``make
web-compile`` compiles; a test fails on an untranslated or fuzzy entry). Dates, numbers and
percentages are formatted by Babel in the page's locale, times in the region's own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

from shared.contracts.periods import period_key_parts
from shared.i18n import BABEL_LOCALES, translations
from shared.refusals import Wait
from shared.region_time import DEFAULT_TIMEZONE

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "kinerja_lang"

#: The zones of Indonesia by the names people use (planning stores each region's IANA zone).
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


#: Semesters and quarters are numbered in Roman numerals in Indonesian ("Semester I 2026").
ROMAN = ("", "I", "II", "III", "IV")


def language_of(cookie_value: str | None) -> str:
    """The page language from the remembered choice, Indonesian when none (or an unknown one)."""
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Formatter:
    """Numbers, dates and times in one page's locale and its region's time zone."""

    language: str
    timezone: str = DEFAULT_TIMEZONE

    @property
    def locale(self) -> str:
        """Babel's locale name."""
        return BABEL_LOCALES[self.language]

    @property
    def zone(self) -> ZoneInfo:
        """The region's zone."""
        return ZoneInfo(self.timezone)

    @property
    def zone_name(self) -> str:
        """WIB, WITA or WIT (the IANA name for a zone outside Indonesia)."""
        return ZONE_ABBREVIATIONS.get(self.timezone, self.timezone)

    def _local(self, value: datetime | str) -> datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def date(self, value: date | datetime | str | None) -> str:
        """``2 Desember 2026`` (a moment is first placed in the region's zone)."""
        if value is None:
            return ""
        if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
            value = self._local(value).date()
        elif isinstance(value, str):
            value = date.fromisoformat(value)
        return format_date(value, "long", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        """``2 Desember 2026 14.07 WIT``: the moment in the region's own zone, the zone named."""
        if value is None:
            return ""
        local = self._local(value)
        shown_date = format_date(local.date(), "long", locale=self.locale)
        return f"{shown_date} {format_time(local, 'short', locale=self.locale)} {self.zone_name}"

    def number(self, value: float | int | Decimal | str | None, digits: int | None = None) -> str:
        """``1.234,5`` in Indonesian, ``1,234.5`` in English; ``digits`` fixes the decimals."""
        if value is None:
            return ""
        number = Decimal(str(value))
        if digits is None:
            return format_decimal(number, locale=self.locale)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(number, format=pattern, locale=self.locale)

    def period(self, key: str) -> str:
        """A period key as people name it: ``Tahun 2026``, ``Semester I 2026``, ``Triwulan IV 2026``,
        ``Desember 2026`` (``Year 2026``, ``Semester 1, 2026``, ``Quarter 4, 2026``, ``December 2026``)."""
        parts = period_key_parts(key)
        if parts is None:
            return key
        if parts.letter is None or parts.number is None:
            text = N_("Year %(year)s")
        elif parts.letter == "M":
            return format_date(date(parts.year, parts.number, 1), "LLLL y", locale=self.locale)
        else:
            text = (
                N_("Semester %(number)s, %(year)s")
                if parts.letter == "S"
                else N_("Quarter %(number)s, %(year)s")
            )
        number = ROMAN[parts.number] if parts.number and self.language == "id" else parts.number
        return translations(self.language).gettext(text) % {"number": number, "year": parts.year}

    def wait(self, seconds: int) -> str:
        """A time to wait as people say it: ``dalam 1 hari``, ``in 5 hours``, ``dalam 45 detik``."""
        return Wait(seconds).in_words(self.locale)

    def percent(self, value: float | Decimal | str | None, digits: int = 1) -> str:
        """A share (0.875) as ``87,5%``."""
        if value is None:
            return ""
        pattern = "#,##0" + ("." + "#" * digits if digits else "") + "%"
        return format_percent(Decimal(str(value)), format=pattern, locale=self.locale)


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name for "mark, translate later"
    """Mark a text for the catalogue; it is translated where it is shown (``_(text)`` in a template)."""
    return message
