"""A close warning's texts come from the one catalogue, in English and Indonesian."""

from __future__ import annotations

from services.scoring.service_layer.governance import undecided_warning
from shared.i18n import translations


def test_employees_without_a_confirmed_rating_are_counted_in_both_languages() -> None:
    warning = undecided_warning("unit-1", 3)
    assert (warning.unit_id, warning.message, warning.message_id) == (
        "unit-1",
        "3 employee(s) without a confirmed rating",
        "3 pegawai belum memiliki predikat yang dikonfirmasi",
    )


def test_the_indonesian_comes_from_the_catalogue() -> None:
    english = "%(count)s employee(s) without a confirmed rating"
    assert translations("id").gettext(english) != english
