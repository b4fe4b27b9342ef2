"""The platform's one catalogue of texts: the web pages', the services' refusals and other texts.

English is the source language (the msgid); ``locale/id/LC_MESSAGES/messages.po`` holds the
Indonesian, compiled to ``messages.mo`` (committed). ``make web-messages`` extracts every text of
the web app and the services into it, ``make web-compile`` compiles it; the catalogue tests fail
on a text missing, untranslated, fuzzy or not compiled.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TypedDict

from babel.support import NullTranslations, Translations

from shared.refusals import Label, Phrase, Refusal, Term, Wait

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
#: The languages of every message: English (the source) and Bahasa Indonesia.
SOURCE_LANGUAGE = "en"
#: Babel's locale for each language, for what Babel words or formats (British English: day before
#: month, as Indonesian).
BABEL_LOCALES = {"id": "id", "en": "en_GB"}


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of a language (English is the source language: no catalogue)."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    loaded = Translations.load(str(LOCALE_DIR), locales=[language], domain=DOMAIN)
    if not isinstance(loaded, Translations):
        raise RuntimeError(
            f"no compiled catalogue for {language!r} under {LOCALE_DIR}; run `make web-compile`"
        )
    return loaded


class ErrorBody(TypedDict):
    """The error object of the platform's one shape."""

    code: str
    field: str | None
    message: str
    message_id: str


def refusal_message(refusal: Refusal, language: str) -> str:
    """A refusal's message in a language, its parameters (translated words too) filled in."""
    if refusal.listed:
        return "; ".join(
            f"{problem.field}: {refusal_message(problem, language)}" for problem in refusal.listed
        )
    return _translated(refusal.message, refusal.params, language)


def phrase_message(phrase: Phrase, language: str) -> str:
    """A phrase (a text that is not a refusal) in a language, its parameters filled in."""
    return _translated(phrase.message, phrase.params, language)


def _translated(message: str, params: Mapping[str, object], language: str) -> str:
    catalogue = translations(language)

    def shown(value: object) -> object:
        if isinstance(value, Phrase):
            return phrase_message(value, language)
        if isinstance(value, Term):
            return catalogue.pgettext(value.context, value.message)
        if isinstance(value, Label):
            return value.id if language == "id" else value.en
        if isinstance(value, Wait):
            return value.in_words(BABEL_LOCALES[language])
        return value

    return catalogue.gettext(message) % {name: shown(value) for name, value in params.items()}


def refusal_body(refusal: Refusal) -> ErrorBody:
    """The error object of the platform's one shape (``{"error": ...}`` holds it; a batch lists it)."""
    return {
        "code": refusal.code,
        "field": refusal.field,
        "message": refusal_message(refusal, "en"),
        "message_id": refusal_message(refusal, "id"),
    }
