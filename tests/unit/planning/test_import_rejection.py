"""The error an organisation import answers when nothing was applied: texts from the one catalogue."""

from __future__ import annotations

from services.planning.service_layer.import_schemas import ImportReportRead, ProblemRead
from services.planning.service_layer.imports import rejection_error
from shared.i18n import translations


def _report(**fields: object) -> ImportReportRead:
    base: dict[str, object] = {"region_id": "r1", "dry_run": False, "applied": False}
    return ImportReportRead.model_validate(
        {**base, "total_rows": 5, "accepted": 2, "rejected": 3, "rows": [], **fields}
    )


def test_rejected_rows_are_counted_in_both_languages() -> None:
    assert rejection_error(_report()) == {
        "code": "rows_rejected",
        "field": "rows",
        "message": "3 of 5 rows were rejected; nothing was applied.",
        "message_id": "3 dari 5 baris ditolak; tidak ada yang diterapkan.",
    }


def test_a_refused_file_names_its_first_problem_in_both_languages() -> None:
    problem = ProblemRead(field="file", code="not_csv", message="not a CSV", message_id="bukan CSV")
    assert rejection_error(_report(file_problems=[problem])) == {
        "code": "not_csv",
        "field": "file",
        "message": "The file was refused: not a CSV. Nothing was applied.",
        "message_id": "Berkas ditolak: bukan CSV. Tidak ada yang diterapkan.",
    }


def test_the_indonesian_comes_from_the_catalogue() -> None:
    # Written inline beside the English, a text escapes the translators; the catalogue holds it.
    indonesian = translations("id")
    for english in (
        "%(rejected)s of %(total)s rows were rejected; nothing was applied.",
        "The file was refused: %(problem)s. Nothing was applied.",
    ):
        assert indonesian.gettext(english) != english, english
