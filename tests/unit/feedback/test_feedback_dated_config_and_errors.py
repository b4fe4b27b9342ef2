"""Dated configuration versions, refused in both languages when none or two are in force."""

from __future__ import annotations

from datetime import date

import pytest

from services.feedback.domain.complaints import ComplaintPolicy
from services.feedback.domain.dated import Dated, in_force
from shared.i18n import refusal_body
from shared.refusals import Refusal

VERSIONS = (
    Dated(date(2024, 1, 1), ComplaintPolicy()),
    Dated(date(2025, 7, 1), ComplaintPolicy(follow_up_days=3)),
)


def test_the_latest_version_not_after_the_day_is_in_force() -> None:
    assert in_force(VERSIONS, date(2025, 6, 30)).follow_up_days == 5
    assert in_force(VERSIONS, date(2025, 7, 1)).follow_up_days == 3


def test_a_day_before_any_version_has_no_configuration() -> None:
    with pytest.raises(Refusal) as raised:
        in_force(VERSIONS, date(2023, 12, 31))

    assert raised.value.code == "feedback.configuration_not_in_force"


def test_two_versions_taking_effect_the_same_day_are_ambiguous() -> None:
    clash = (*VERSIONS, Dated(date(2025, 7, 1), ComplaintPolicy(follow_up_days=4)))

    with pytest.raises(Refusal):
        in_force(clash, date(2025, 8, 1))


def test_negative_deadlines_are_refused() -> None:
    with pytest.raises(Refusal):
        ComplaintPolicy(verification_days=-1)


def test_a_refused_configuration_names_the_day_in_both_languages() -> None:
    with pytest.raises(Refusal) as raised:
        in_force(VERSIONS, date(2023, 12, 31))

    assert refusal_body(raised.value) == {
        "code": "feedback.configuration_not_in_force",
        "field": None,
        "message": "No configuration is in force on 2023-12-31",
        "message_id": "Tidak ada konfigurasi yang berlaku pada 2023-12-31",
    }
