"""The SKP form's flat fields become the API's nested plan; API error paths point back at fields."""

from __future__ import annotations

from services.web.entrypoints.employees.work_plan_form import plan_body, rows_from_form


def _same(text: str) -> str:
    return text


def test_blank_blocks_are_left_out_and_numbers_are_read_in_the_persons_locale() -> None:
    form = {
        "results": "2",
        "r0-indicators": "2",
        "r0-kind": "main",
        "r0-text": "Layanan KTP-el",
        "r0-i0-name": "KTP-el diterbitkan",
        "r0-i0-target": "1.200,5",
        "r0-i0-unit": "dokumen",
        "r1-indicators": "1",
        "r1-kind": "additional",
    }
    draft = plan_body(rows_from_form(form), 2026, "id_ID", _same)
    assert draft.errors == {}
    [result] = draft.body["results"]
    assert result["indicators"] == [
        {
            "name": "KTP-el diterbitkan",
            "direction": "higher_is_better",
            "unit_of_measure": "dokumen",
            "target": "1200.5",
        }
    ]
    assert draft.positions == [(0, [0])]


def test_an_incomplete_or_unbalanced_quarter_split_is_named_on_its_field() -> None:
    base = {"results": "1", "r0-indicators": "1", "r0-text": "Layanan", "r0-i0-name": "KTP-el"}
    base |= {"r0-i0-target": "100", "r0-i0-unit": "dokumen"}
    partial = plan_body(rows_from_form(base | {"r0-i0-q1": "50"}), 2026, "id_ID", _same)
    assert list(partial.errors) == ["r0-i0-q2"]
    unbalanced = {"r0-i0-q1": "50", "r0-i0-q2": "50", "r0-i0-q3": "1", "r0-i0-q4": "0"}
    assert list(plan_body(rows_from_form(base | unbalanced), 2026, "id_ID", _same).errors) == ["r0-i0-q1"]


def test_an_api_error_path_names_the_form_field_it_came_from() -> None:
    form = {
        "results": "2",
        "r0-indicators": "1",
        "r1-indicators": "3",
        "r1-text": "Antrean",
        "r1-i2-name": "Waktu tunggu",
        "r1-i2-target": "15",
        "r1-i2-unit": "menit",
    }
    draft = plan_body(rows_from_form(form), 2026, "en_US", _same)
    assert draft.field_of("results.0.indicators.0.target.unit") == "r1-i2-unit"
    assert draft.field_of("results.0.indicators.0.split") == "r1-i2-q1"
    assert draft.field_of("results.0.text") == "r1-text"
    assert draft.field_of("year") is None
    assert draft.field_of("results.7.text") is None
