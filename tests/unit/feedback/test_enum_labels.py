"""Feedback's enums name their members in Indonesian and English as the regulations print them."""

from __future__ import annotations

from services.feedback.domain.behaviour import BehaviourRating, CoreValue
from services.feedback.domain.satisfaction import SatisfactionGrade, ServiceItem
from services.feedback.domain.survey import SurveyKind
from shared.refusals import Label


def test_the_behaviour_ratings_are_named_as_permenpanrb_6_2022_names_them() -> None:
    assert [rating.label_id for rating in BehaviourRating] == [
        "Di Atas Ekspektasi",
        "Sesuai Ekspektasi",
        "Di Bawah Ekspektasi",
    ]


def test_each_grade_names_the_units_performance_in_both_languages() -> None:
    assert [(grade.value, grade.label_id, grade.label_en) for grade in SatisfactionGrade] == [
        ("A", "Sangat Baik", "Very good"),
        ("B", "Baik", "Good"),
        ("C", "Kurang Baik", "Poor"),
        ("D", "Tidak Baik", "Very poor"),
    ]


def test_each_survey_kind_is_named_for_the_people_who_answer_it() -> None:
    assert {kind.value: kind.label_id for kind in SurveyKind} == {
        "public_service": "Survei kepuasan layanan publik",
        "school_parents": "Survei kepuasan orang tua/wali murid",
        "clinic_patients": "Survei kepuasan pasien",
    }


def test_core_values_and_survey_items_keep_their_codes_order_and_names() -> None:
    assert [value.value for value in CoreValue][:2] == ["service_oriented", "accountable"]
    assert CoreValue.SERVICE_ORIENTED.label == Label(en="service oriented", id="Berorientasi Pelayanan")
    assert [item.position for item in ServiceItem] == list(range(9))
    assert ServiceItem("cost").label == Label(en="cost/tariff", id="biaya/tarif")
    assert ServiceItem.COMPLAINT_HANDLING.label_id == "penanganan pengaduan, saran dan masukan"
