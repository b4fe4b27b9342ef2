"""The SKM report as CSV and as a printable page (Bahasa Indonesia first, English alongside)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from html import escape

from services.feedback.domain.report import SkmReport
from services.feedback.domain.satisfaction import ITEM_WEIGHT, ServiceItem

#: Cells a spreadsheet would run as a formula; free text starting with one is neutralised.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ITEM_CODES = [f"U{position + 1}" for position in range(len(ServiceItem))]


#: What the sums and the index count, in both languages.
_COUNTED = {
    "ticketed": ("responden bertiket saja", "ticketed respondents only"),
    "all": ("semua responden", "every respondent"),
}


def decimal_of(value: Fraction, places: int) -> Decimal:
    """An exact fraction rounded half-up to ``places`` decimals."""
    scaled = value * 10**places
    return Decimal(math.floor(scaled + Fraction(1, 2))).scaleb(-places)


def _safe_text(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _sample_cells(report: SkmReport) -> list[str]:
    if report.adequacy is None:
        return [
            "Sampel minimal / Minimum sample",
            "-",
            "jumlah pengguna layanan belum dilaporkan / service users not reported",
        ]
    short = report.adequacy.shortfall
    verdict = (
        "memadai / adequate"
        if report.adequacy.is_adequate
        else f"tidak memadai, kurang {short} / too small, {short} short"
    )
    return [
        "Sampel minimal / Minimum sample",
        str(report.adequacy.required),
        f"dari {report.adequacy.population} pengguna layanan / of {report.adequacy.population} service users",
        verdict,
    ]


def _rows(report: SkmReport) -> Iterable[list[str]]:
    weighted_total = sum((item.weighted_nrr for item in report.items), Fraction(0))
    yield ["LAPORAN SURVEI KEPUASAN MASYARAKAT (SKM) / Community satisfaction survey report"]
    yield ["Unit layanan / Unit", _safe_text(report.unit_name)]
    yield ["Jenis layanan / Service", _safe_text(report.service_name) or "-"]
    yield [
        "Periode / Period",
        report.period.key,
        report.period.first_day.isoformat(),
        report.period.last_day.isoformat(),
    ]
    yield ["Jumlah responden / Respondents", str(len(report.rows))]
    yield ["Responden bertiket / Ticketed respondents", str(report.ticketed)]
    yield ["Responden tanpa tiket / Unticketed respondents", str(report.unticketed)]
    yield ["Dasar perhitungan / Counted", *_COUNTED[report.counted]]
    yield []
    yield [
        "No",
        "Waktu / Time",
        "Umur / Age",
        "Jenis kelamin / Sex",
        "Pendidikan / Education",
        "Pekerjaan / Occupation",
        *_ITEM_CODES,
        "Tiket / Ticket",
    ]
    for number, row in enumerate(report.rows, start=1):
        yield [
            str(number),
            row.submitted_at.isoformat(timespec="minutes"),
            row.age_band or "",
            row.sex or "",
            row.education or "",
            row.occupation or "",
            *(str(score) for score in row.scores),
            "ya / yes" if row.ticketed else "tidak / no",
        ]
    yield []
    yield ["Unsur / Item", *_ITEM_CODES]
    yield ["Uraian / Description", *(item.label_id for item in ServiceItem)]
    yield ["Jumlah nilai / Sum of scores", *(str(total) for total in report.item_sums)]
    yield ["NRR per unsur / Mean per item", *(str(decimal_of(item.nrr, 3)) for item in report.items)]
    yield [
        f"NRR tertimbang (NRR x {ITEM_WEIGHT}) / Weighted mean",
        *(str(decimal_of(item.weighted_nrr, 3)) for item in report.items),
    ]
    yield ["Jumlah NRR tertimbang / Sum of weighted means", str(decimal_of(weighted_total, 3))]
    yield ["IKM unit pelayanan / Satisfaction index (x 25)", str(report.index.rounded)]
    yield [
        "Mutu pelayanan / Grade",
        report.index.grade.value,
        f"{report.index.grade.label_id} / {report.index.grade.label_en}",
    ]
    yield _sample_cells(report)
    yield []
    yield ["Prioritas perbaikan / Improvement priorities"]
    yield ["Peringkat / Rank", "Unsur / Item", "Uraian / Description", "NRR"]
    for rank, item in enumerate(report.priorities, start=1):
        yield [str(rank), _ITEM_CODES[item.item.position], item.item.label_id, str(decimal_of(item.nrr, 3))]
    yield []
    yield ["Saran dan komentar / Comments"]
    yield ["No", "Komentar / Comment"]
    for number, comment in enumerate(report.comments, start=1):
        yield [str(number), _safe_text(comment)]


def render_csv(report: SkmReport) -> str:
    """The report as CSV, one section after another as in the regulation's recap sheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_rows(report))
    return buffer.getvalue()


_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; margin: 1.5cm; color: #000; }
h1 { font-size: 14pt; text-align: center; margin-bottom: 0.2cm; }
h2 { font-size: 11pt; margin-top: 0.8cm; }
.en { color: #555; font-weight: normal; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; margin-top: 0.3cm; }
th, td { border: 1px solid #000; padding: 2px 4px; text-align: center; }
td.text { text-align: left; }
table.meta td { border: none; text-align: left; }
.grade { font-size: 16pt; font-weight: bold; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } tr { page-break-inside: avoid; } }
"""


def _cells(values: Iterable[object], tag: str = "td") -> str:
    return "".join(f"<{tag}>{escape(str(value))}</{tag}>" for value in values)


def _labelled(label_id: str, label_en: str) -> str:
    return f"{escape(label_id)} <span class='en'>({escape(label_en)})</span>"


def _summary_row(label_id: str, label_en: str, value: str, css: str = "") -> str:
    return f"<tr><td class='text'>{_labelled(label_id, label_en)}</td><td class='{css}'>{value}</td></tr>"


def _respondent_table(report: SkmReport) -> str:
    header = _cells(["No", "Waktu", "Umur", "JK", "Pendidikan", "Pekerjaan", *_ITEM_CODES, "Tiket"], "th")
    body = "\n".join(
        "<tr>"
        + _cells(
            [
                number,
                row.submitted_at.strftime("%d-%m-%Y %H:%M"),
                row.age_band or "-",
                row.sex or "-",
                row.education or "-",
                row.occupation or "-",
                *row.scores,
                "ya" if row.ticketed else "tidak",
            ]
        )
        + "</tr>"
        for number, row in enumerate(report.rows, start=1)
    )
    totals = [
        ("Jumlah nilai per unsur", report.item_sums),
        ("NRR per unsur", [decimal_of(item.nrr, 3) for item in report.items]),
        ("NRR tertimbang (NRR x 1/9)", [decimal_of(item.weighted_nrr, 3) for item in report.items]),
    ]
    footer = "\n".join(
        f"<tr><th colspan='6'>{escape(label)}</th>{_cells(values)}<td></td></tr>" for label, values in totals
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>\n{body}\n{footer}\n</tbody></table>"


def _index_table(report: SkmReport) -> str:
    weighted_total = sum((item.weighted_nrr for item in report.items), Fraction(0))
    grade = report.index.grade
    rows = [
        _summary_row("Jumlah NRR tertimbang", "sum of weighted means", str(decimal_of(weighted_total, 3))),
        _summary_row("IKM unit pelayanan (x 25)", "satisfaction index", str(report.index.rounded), "grade"),
        _summary_row("Mutu pelayanan", "grade", f"{grade.value} ({escape(grade.label_id)})", "grade"),
        _summary_row(
            "Sampel minimal (Krejcie & Morgan)",
            "minimum sample",
            " ".join(escape(cell) for cell in _sample_cells(report)[1:]),
        ),
    ]
    return "<table>" + "\n".join(rows) + "</table>"


def _priority_table(report: SkmReport) -> str:
    rows = "\n".join(
        f"<tr>{_cells([rank, _ITEM_CODES[item.item.position]])}"
        f"<td class='text'>{_labelled(item.item.label_id, item.item.label_en)}</td>"
        f"{_cells([decimal_of(item.nrr, 3)])}</tr>"
        for rank, item in enumerate(report.priorities, start=1)
    )
    header = _cells(["Peringkat", "Unsur", "Uraian", "NRR"], "th")
    return f"<table><thead><tr>{header}</tr></thead><tbody>\n{rows}\n</tbody></table>"


def _comment_table(report: SkmReport) -> str:
    rows = "\n".join(
        f"<tr><td>{number}</td><td class='text'>{escape(comment)}</td></tr>"
        for number, comment in enumerate(report.comments, start=1)
    )
    if not rows:
        rows = f"<tr><td colspan='2'>{_labelled('Tidak ada komentar', 'no comments')}</td></tr>"
    return (
        f"<table><thead><tr>{_cells(['No', 'Komentar'], 'th')}</tr></thead><tbody>\n{rows}\n</tbody></table>"
    )


def render_html(report: SkmReport) -> str:
    """The report as a self-contained page that prints on A4 in the regulation's layout."""
    period = report.period
    span = f"{period.first_day.strftime('%d-%m-%Y')} s.d. {period.last_day.strftime('%d-%m-%Y')}"
    meta = "\n".join(
        f"<tr><td>{_labelled(label_id, label_en)}</td><td>: {escape(value)}</td></tr>"
        for label_id, label_en, value in (
            ("Unit layanan", "unit", report.unit_name),
            ("Jenis layanan", "service", report.service_name or "-"),
            ("Periode", "period", f"{period.key} ({span})"),
            ("Jumlah responden", "respondents", str(len(report.rows))),
            ("Responden bertiket", "ticketed respondents", str(report.ticketed)),
            ("Responden tanpa tiket", "unticketed respondents", str(report.unticketed)),
            ("Dasar perhitungan", "counted", " / ".join(_COUNTED[report.counted])),
        )
    )
    legend = "; ".join(
        f"{code} = {item.label_id}" for code, item in zip(_ITEM_CODES, ServiceItem, strict=True)
    )
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<title>SKM {escape(report.unit_name)} {escape(period.key)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>LAPORAN SURVEI KEPUASAN MASYARAKAT (SKM)<br>
<span class="en">Community satisfaction survey report</span></h1>
<table class="meta">
{meta}
</table>
<h2>{_labelled("Pengolahan data per responden", "scores per respondent")}</h2>
{_respondent_table(report)}
<p>{escape(legend)}</p>
<h2>{_labelled("Indeks Kepuasan Masyarakat", "satisfaction index")}</h2>
{_index_table(report)}
<h2>{_labelled("Prioritas perbaikan", "improvement priorities: the lowest items")}</h2>
{_priority_table(report)}
<h2>{_labelled("Saran dan komentar", "comments")}</h2>
{_comment_table(report)}
</body>
</html>
"""
