"""The SKM report's content and its CSV and printable renderings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.feedback.domain.periods import parse_period
from services.feedback.domain.report import RespondentRow, build_skm_report
from services.feedback.domain.satisfaction import SatisfactionGrade, ServiceItem
from services.feedback.entrypoints.report_rendering import render_csv, render_html

START = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


def report(*answers: tuple[tuple[int, ...], str | None], service_users: int | None = None):
    """A report of answers given an hour apart, listed in reverse to check ordering."""
    rows = [
        RespondentRow(submitted_at=START + timedelta(hours=index), scores=scores, comment=comment, sex="male")
        for index, (scores, comment) in enumerate(answers)
    ]
    return build_skm_report(
        unit_name="Dinas Dukcapil",
        service_name="Loket KTP-el",
        period=parse_period("2026-Q2"),
        rows=list(reversed(rows)),
        service_users=service_users,
    )


def test_the_report_orders_respondents_by_time_and_ranks_the_lowest_items_first():
    built = report(((4, 4, 3, 3, 4, 3, 4, 3, 2), " Ramah "), ((3, 3, 3, 4, 4, 3, 4, 3, 2), "  "))
    assert [row.scores[0] for row in built.rows] == [4, 3]
    assert built.item_sums == (7, 7, 6, 7, 8, 6, 8, 6, 4)
    assert [item.item for item in built.priorities] == [
        ServiceItem.COMPLAINT_HANDLING,
        ServiceItem.COMPLETION_TIME,
        ServiceItem.STAFF_COMPETENCE,
    ]
    assert built.comments == ("Ramah",)
    assert built.adequacy is None


def test_the_report_states_the_index_and_whether_the_sample_is_large_enough():
    # Every item (53 x 4 + 2 x 3) / 55 = 218/55; IKM = 218/55 x 25 = 99.0909... -> 99.09, grade A.
    answers = [((4,) * 9, None)] * 53 + [((3,) * 9, None)] * 2
    built = report(*answers, service_users=60)
    assert built.index.rounded == Decimal("99.09")
    assert built.index.grade is SatisfactionGrade.A
    # Krejcie-Morgan for 60 service users: 52.01... -> 53 respondents needed, 55 answered.
    assert built.adequacy is not None
    assert built.adequacy.required == 53
    assert built.adequacy.is_adequate


def test_csv_has_the_regulation_sections_and_neutralises_formulas():
    built = report(
        ((4, 4, 4, 4, 4, 4, 4, 4, 4), "=1+1"), ((2, 2, 2, 2, 2, 2, 2, 2, 2), "-ok"), service_users=100
    )
    rows = list(csv.reader(io.StringIO(render_csv(built))))
    labels = {row[0]: row[1:] for row in rows if row}
    assert labels["IKM unit pelayanan / Satisfaction index (x 25)"] == ["75.00"]
    assert labels["Mutu pelayanan / Grade"] == ["C", "Kurang Baik / Poor"]
    assert labels["Sampel minimal / Minimum sample"][0] == "80"
    assert "too small, 78 short" in labels["Sampel minimal / Minimum sample"][-1]
    assert rows[rows.index(["No", "Komentar / Comment"]) + 1 :] == [["1", "'=1+1"], ["2", "'-ok"]]


def test_the_printable_page_escapes_citizens_text():
    page = render_html(report(((4,) * 9, "<script>alert(1)</script>")))
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "LAPORAN SURVEI KEPUASAN MASYARAKAT" in page
    assert "Sangat Baik" in page
