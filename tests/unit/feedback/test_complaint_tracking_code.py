"""Complaint tracking codes and their check character."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.feedback.domain.tracking_code import (
    ALPHABET,
    CODE_LENGTH,
    PAYLOAD_LENGTH,
    check_character,
    format_tracking_code,
    generate_tracking_code,
    is_valid_tracking_code,
    normalise_tracking_code,
    parse_tracking_code,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal


def sample_codes(count: int = 20) -> list[str]:
    source = random.Random(2025)
    return [generate_tracking_code(source.randrange) for _ in range(count)]


def test_alphabet_has_no_easily_confused_characters() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert len(ALPHABET) == 31


def test_generated_code_has_ten_characters_from_the_alphabet_and_is_valid() -> None:
    code = generate_tracking_code()

    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert is_valid_tracking_code(code)


def test_generation_is_deterministic_with_an_injected_random_source() -> None:
    assert sample_codes(3) == sample_codes(3)


def test_check_character_catches_every_single_character_typo() -> None:
    for code in sample_codes():
        for position, original in enumerate(code):
            for typo in ALPHABET.replace(original, ""):
                mistyped = code[:position] + typo + code[position + 1 :]
                assert not is_valid_tracking_code(mistyped), (code, mistyped)


def test_check_character_catches_swapped_neighbours() -> None:
    for code in sample_codes():
        for position in range(CODE_LENGTH - 1):
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            assert swapped == code or not is_valid_tracking_code(swapped), (code, swapped)


def test_typed_input_is_normalised_before_checking() -> None:
    code = sample_codes(1)[0]
    typed = f" {code[:5].lower()} - {code[5:]} "

    assert normalise_tracking_code(typed) == code
    assert parse_tracking_code(typed) == code
    assert format_tracking_code(code) == f"{code[:5]}-{code[5:]}"


@pytest.mark.parametrize("text", ["", "ABCDE", "ABCDEFGHJKM", "0BCDEFGHJK", "OBCDEFGHJK", "LLLLLLLLLL"])
def test_malformed_codes_are_invalid(text: str) -> None:
    assert not is_valid_tracking_code(text)


def test_parsing_an_invalid_code_raises_a_bilingual_error() -> None:
    code = sample_codes(1)[0]
    mistyped = code[:-1] + ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]

    with pytest.raises(Refusal) as raised:
        parse_tracking_code(mistyped)

    assert raised.value.field == "tracking_code"
    assert refusal_body(raised.value)["message_id"].startswith("Kode pelacakan")
    assert raised.value.message_en.startswith("The complaint tracking code")


def test_check_character_refuses_a_malformed_payload() -> None:
    with pytest.raises(Refusal):
        check_character("0" * PAYLOAD_LENGTH)


@given(st.text(alphabet=ALPHABET, min_size=PAYLOAD_LENGTH, max_size=PAYLOAD_LENGTH))
def test_any_payload_with_its_check_character_is_valid(payload: str) -> None:
    assert is_valid_tracking_code(payload + check_character(payload))
