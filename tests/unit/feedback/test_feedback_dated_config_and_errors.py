"""Dated configuration versions and the bilingual error contract."""

from __future__ import annotations

from datetime import date

import pytest

from services.feedback.domain.complaints import ComplaintPolicy
from services.feedback.domain.dated import Dated, in_force
from services.feedback.domain.errors import DomainError, InvalidConfigurationError, InvalidValueError

VERSIONS = (
    Dated(date(2024, 1, 1), ComplaintPolicy()),
    Dated(date(2025, 7, 1), ComplaintPolicy(follow_up_days=3)),
)


def test_the_latest_version_not_after_the_day_is_in_force() -> None:
    assert in_force(VERSIONS, date(2025, 6, 30)).follow_up_days == 5
    assert in_force(VERSIONS, date(2025, 7, 1)).follow_up_days == 3


def test_a_day_before_any_version_has_no_configuration() -> None:
    with pytest.raises(InvalidConfigurationError) as raised:
        in_force(VERSIONS, date(2023, 12, 31))

    assert raised.value.code == "feedback.configuration_not_in_force"


def test_two_versions_taking_effect_the_same_day_are_ambiguous() -> None:
    clash = (*VERSIONS, Dated(date(2025, 7, 1), ComplaintPolicy(follow_up_days=4)))

    with pytest.raises(InvalidConfigurationError):
        in_force(clash, date(2025, 8, 1))


def test_negative_deadlines_are_refused() -> None:
    with pytest.raises(InvalidConfigurationError):
        ComplaintPolicy(verification_days=-1)


def test_errors_carry_code_field_and_messages_in_indonesian_first() -> None:
    error = InvalidValueError(field="x", message_id="Salah", message_en="Wrong", code="feedback.example")

    assert isinstance(error, DomainError)
    assert (error.code, error.field) == ("feedback.example", "x")
    assert error.messages == {"id": "Salah", "en": "Wrong"}
    assert error.message() == "Salah"
    assert error.message("en") == "Wrong"
    assert str(error) == "Salah / Wrong"


def test_errors_fall_back_to_their_class_code() -> None:
    assert InvalidValueError(message_id="a", message_en="b").code == "feedback.invalid_value"
