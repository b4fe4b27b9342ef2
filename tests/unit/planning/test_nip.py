"""NIP (Nomor Induk Pegawai) format validation."""

from __future__ import annotations

from datetime import date

import pytest

from services.planning.domain.organisation import Nip, Sex
from shared.i18n import refusal_body
from shared.refusals import Refusal


def test_a_well_formed_nip_is_accepted_and_decoded() -> None:
    nip = Nip("198503122010012002")

    assert nip.birth_date == date(1985, 3, 12)
    assert nip.appointment == (2010, 1)
    assert nip.sex is Sex.FEMALE
    assert nip.sequence == 2
    assert str(nip) == "198503122010012002"


def test_spaces_between_the_printed_groups_of_a_nip_are_ignored() -> None:
    assert Nip.parse("19850312 201001 1 002") == Nip("198503122010011002")


@pytest.mark.parametrize(
    ("text", "code", "detail"),
    [
        ("19850312201001100", "nip_length", "got 17"),
        ("1985031220100110022", "nip_length", "got 19"),
        ("1985031220100110x2", "nip_not_digits", "'x' at position 17"),
        ("198513122010011002", "nip_birth_date", "'19851312'"),
        ("198502302010011002", "nip_birth_date", "'19850230'"),
        ("189903122010011002", "nip_birth_date", "'18990312'"),
        ("198503122010131002", "nip_appointment", "'201013'"),
        ("198503122000011002", "nip_appointment_age", "before the 18th birthday"),
        ("198503122010013002", "nip_sex", "got 3"),
        ("198503122010011000", "nip_sequence", "must not be 000"),
    ],
)
def test_a_malformed_nip_is_refused_with_the_precise_reason(text: str, code: str, detail: str) -> None:
    with pytest.raises(Refusal) as refused:
        Nip(text)

    assert refused.value.code == code
    assert detail in refused.value.message_en


def test_a_nip_error_names_its_field_and_explains_in_english_and_indonesian() -> None:
    with pytest.raises(Refusal) as refused:
        Nip.parse("19850312 201001 3 002", field="employees[4].nip")

    assert refused.value.field == "employees[4].nip"
    assert "digit 15" in refused.value.message_en
    assert "laki-laki" in refusal_body(refused.value)["message_id"]


def test_nips_order_by_their_digits() -> None:
    assert sorted([Nip("198503122010011002"), Nip("198503122010011001")])[0].sequence == 1
