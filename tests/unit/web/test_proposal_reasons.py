"""Scoring's rating-proposal reasons are worded by the pages from their code and typed values, with
numbers in the person's locale (87,5% in Indonesian, 87.5% in English), for every code scoring has."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

import pytest

from services.scoring.domain.rating import ProposalReason, ReasonCode, propose_result_rating
from services.scoring.service_layer.views.summaries import _reason_json
from services.web.i18n import Formatter
from services.web.pages import make_environment

MACRO = '{% import "components/scoring.html" as scoring with context %}{{ scoring.proposal_reason(reason) }}'


def worded(reason: Mapping[str, object], language: str) -> str:
    template = make_environment(language).from_string(MACRO)
    return template.render(reason=reason, fmt=Formatter(language), lang=language).strip()


def as_scoring_answers(reason: ProposalReason) -> dict[str, object]:
    """The reason as scoring's API answers it (its JSON: decimals as strings)."""
    answered = json.loads(_reason_json(reason))
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in answered.items()}


def test_a_reason_shows_its_shares_in_the_persons_locale() -> None:
    proposal = propose_result_rating(Fraction(7, 8), Fraction(1, 2))
    meets = next(r for r in proposal.reasons if r.code is ReasonCode.MEETS_ACHIEVEMENT)
    reason = as_scoring_answers(meets)
    assert worded(reason, "id") == "Capaian 87,5%; Sesuai Ekspektasi memerlukan paling sedikit 90%"
    assert worded(reason, "en") == "Achievement 87.5%; Meets expectations needs at least 90%"


def test_a_capped_proposal_says_why_in_both_languages() -> None:
    proposal = propose_result_rating(Fraction(5, 4), Fraction(5, 8))
    capped = [as_scoring_answers(r) for r in proposal.reasons]
    assert [worded(r, "id") for r in capped] == [
        "Capaian 125%; Di Atas Ekspektasi memerlukan paling sedikit 110%",
        "Porsi kegiatan terverifikasi 62,5%; Di Atas Ekspektasi memerlukan paling sedikit 80%",
        "Tetap Sesuai Ekspektasi: 62,5% kegiatan terverifikasi, perlu 80% untuk Di Atas Ekspektasi",
    ]
    english = "Verified share of activities 62.5%; Above expectations needs at least 80%"
    assert worded(capped[1], "en") == english


@pytest.mark.parametrize("code", list(ReasonCode))
@pytest.mark.parametrize("language", ["id", "en"])
def test_every_code_scoring_produces_is_worded_by_the_pages(code: ReasonCode, language: str) -> None:
    reason = as_scoring_answers(ProposalReason(code, Fraction(9, 10), Fraction(7, 8), satisfied=False))
    text = worded(reason, language)
    # Not scoring's own text (which writes 0.88 in both languages), and any numbers localised.
    assert text not in (reason["message_id"], reason["message_en"])
    assert "0.88" not in text
    assert "0.90" not in text


def test_a_code_the_pages_do_not_know_yet_shows_scorings_text_in_the_page_language() -> None:
    reason = {"code": "SOMETHING_NEW", "required": None, "actual": None, "satisfied": True}
    reason |= {"message_id": "Alasan baru", "message_en": "A new reason"}
    assert worded(reason, "id") == "Alasan baru"
    assert worded(reason, "en") == "A new reason"
