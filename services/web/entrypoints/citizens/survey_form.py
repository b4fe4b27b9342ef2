"""The SKM questionnaire (PermenPANRB 14/2017): nine items, each with the regulation's four answers
in words (1 = worst ... 4 = best), and the respondent profile it asks for. Texts are marked for the
catalogue and translated when shown; the values are what feedback's API takes."""

from __future__ import annotations

from dataclasses import dataclass

from services.web.i18n import N_


@dataclass(frozen=True)
class SurveyItem:
    """One item (unsur): its key in the API, the question and the four answers, worst first."""

    key: str
    title: str
    question: str
    answers: tuple[str, str, str, str]


ITEMS = (
    SurveyItem(
        "requirements",
        N_("Requirements"),
        N_("Do the requirements match the kind of service?"),
        (N_("Not matching"), N_("Partly matching"), N_("Matching"), N_("Fully matching")),
    ),
    SurveyItem(
        "procedure",
        N_("Procedure"),
        N_("How easy is the service's procedure?"),
        (N_("Not easy"), N_("Not very easy"), N_("Easy"), N_("Very easy")),
    ),
    SurveyItem(
        "completion_time",
        N_("Time"),
        N_("How quick was the service?"),
        (N_("Not quick"), N_("Not very quick"), N_("Quick"), N_("Very quick")),
    ),
    SurveyItem(
        "cost",
        N_("Cost"),
        N_("How reasonable was the cost or fee of the service?"),
        (N_("Very expensive"), N_("Quite expensive"), N_("Cheap"), N_("Free")),
    ),
    SurveyItem(
        "product_specification",
        N_("What you received"),
        N_("Does what you received match what the service standard promises?"),
        (N_("Not matching"), N_("Partly matching"), N_("Matching"), N_("Fully matching")),
    ),
    SurveyItem(
        "staff_competence",
        N_("Staff competence"),
        N_("How competent were the staff who served you?"),
        (N_("Not competent"), N_("Not very competent"), N_("Competent"), N_("Very competent")),
    ),
    SurveyItem(
        "staff_behaviour",
        N_("Staff behaviour"),
        N_("How polite and friendly were the staff?"),
        (
            N_("Not polite and friendly"),
            N_("Not very polite and friendly"),
            N_("Polite and friendly"),
            N_("Very polite and friendly"),
        ),
    ),
    SurveyItem(
        "facilities",
        N_("Facilities"),
        N_("What is the quality of the facilities (waiting room, counters, toilets)?"),
        (N_("Poor"), N_("Adequate"), N_("Good"), N_("Very good")),
    ),
    SurveyItem(
        "complaint_handling",
        N_("Complaints"),
        N_("How are users' complaints, suggestions and feedback handled?"),
        (
            N_("There is no way to complain"),
            N_("There is one, but it does not work"),
            N_("It works, but not fully"),
            N_("They are handled well"),
        ),
    ),
)

PROFILE = {
    "age_band": (
        N_("Your age"),
        (
            ("under_20", N_("Under 20")),
            ("20_29", N_("20 to 29")),
            ("30_39", N_("30 to 39")),
            ("40_49", N_("40 to 49")),
            ("50_59", N_("50 to 59")),
            ("60_plus", N_("60 or over")),
        ),
    ),
    "sex": (N_("Sex"), (("male", N_("Male")), ("female", N_("Female")))),
    "education": (
        N_("Highest education"),
        (
            ("primary_or_less", N_("Primary school or less")),
            ("junior_secondary", N_("Junior secondary (SMP)")),
            ("senior_secondary", N_("Senior secondary (SMA/SMK)")),
            ("diploma", N_("Diploma (D1 to D3)")),
            ("bachelor", N_("Bachelor (D4/S1)")),
            ("postgraduate", N_("Postgraduate (S2 or higher)")),
        ),
    ),
    "occupation": (
        N_("Main occupation"),
        (
            ("civil_servant", N_("Civil servant (PNS)")),
            ("military", N_("Armed forces (TNI)")),
            ("police", N_("Police (POLRI)")),
            ("private_employee", N_("Private employee")),
            ("entrepreneur", N_("Self-employed")),
            ("student", N_("Pupil or student")),
            ("other", N_("Other")),
        ),
    ),
}

COMMENT_MAX = 2000
