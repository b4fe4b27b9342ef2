"""Indicator templates per job type: the national defaults and each region's own additions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.planning.domain.organisation import JobType, require_text, validate_region_id
from shared.refusals import Refusal, RefusalKind

_TEMPLATE_CODE = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*")


class Aspect(StrEnum):
    """Aspect an indicator measures (aspek indikator)."""

    QUANTITY = "quantity"
    """Kuantitas."""
    QUALITY = "quality"
    """Kualitas."""
    TIME = "time"
    """Waktu."""
    COST = "cost"
    """Biaya."""


class Direction(StrEnum):
    """Whether a higher or a lower realisation is better (arah indikator)."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Aggregation(StrEnum):
    """How period realisations combine into the value of a longer period."""

    SUM = "sum"
    """Counts add up: documents completed, ID cards issued."""
    AVERAGE = "average"
    """Mean of observations: waiting minutes, satisfaction scores."""
    LAST = "last"
    """The latest value stands: a level reached, a qualitative statement."""
    RATIO = "ratio"
    """A percentage of a pooled numerator over a pooled denominator: cases on time / all cases."""


@dataclass(frozen=True, slots=True)
class ValueRange:
    """Inclusive bounds a target or realisation must lie within; None means unbounded."""

    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def __post_init__(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise Refusal(
                "empty_range",
                "minimum %(minimum)s is above maximum %(maximum)s",
                field="value_range",
                params={"minimum": self.minimum, "maximum": self.maximum},
            )

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, Decimal | int):
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum

    def __str__(self) -> str:
        low = "-∞" if self.minimum is None else str(self.minimum)
        high = "∞" if self.maximum is None else str(self.maximum)
        return f"[{low}, {high}]"


PERCENT_RANGE = ValueRange(Decimal(0), Decimal(100))
"""Range of every RATIO indicator: ratios are planned and reported as percentages."""
NON_NEGATIVE = ValueRange(Decimal(0), None)
"""Range of counts, durations and costs."""


def default_range(aggregation: Aggregation) -> ValueRange:
    """Range an indicator's targets must lie in when its template gives none."""
    return PERCENT_RANGE if aggregation is Aggregation.RATIO else NON_NEGATIVE


@dataclass(frozen=True, slots=True)
class IndicatorTemplate:
    """A reusable indicator (template indikator kinerja) offered to employees of some job types."""

    code: str
    name_id: str
    name_en: str
    job_types: frozenset[JobType]
    aspect: Aspect
    unit: str
    direction: Direction
    aggregation: Aggregation
    qualitative: bool = False
    value_range: ValueRange | None = None
    region_id: str | None = None
    """None for a national default, else the region that added it."""

    def __post_init__(self) -> None:
        if not _TEMPLATE_CODE.fullmatch(self.code):
            raise Refusal(
                "invalid_template_code",
                "template code %(code)s must be upper-case words joined by '-', e.g. FO-DOCS",
                field="code",
                params={"code": repr(self.code)},
            )
        require_text(self.name_id, "name_id")
        require_text(self.name_en, "name_en")
        if not self.job_types:
            raise Refusal("missing_value", "a template applies to at least one job type", field="job_types")
        if not self.qualitative and not self.unit.strip():
            raise Refusal("missing_value", "a quantitative template needs a unit of measure", field="unit")
        if self.region_id is not None:
            validate_region_id(self.region_id)

    @property
    def effective_range(self) -> ValueRange:
        """The template's own range, or the default for its aggregation."""
        return self.value_range or default_range(self.aggregation)


def _national(
    code: str,
    name_id: str,
    name_en: str,
    job_types: Iterable[JobType],
    aspect: Aspect,
    unit: str,
    direction: Direction,
    aggregation: Aggregation,
    *,
    qualitative: bool = False,
    value_range: ValueRange | None = None,
) -> IndicatorTemplate:
    return IndicatorTemplate(
        code,
        name_id,
        name_en,
        frozenset(job_types),
        aspect,
        unit,
        direction,
        aggregation,
        qualitative=qualitative,
        value_range=value_range,
    )


_J = JobType
_A = Aspect
_HI = Direction.HIGHER_IS_BETTER
_LO = Direction.LOWER_IS_BETTER
_SUM = Aggregation.SUM
_AVG = Aggregation.AVERAGE
_RATIO = Aggregation.RATIO
_LAST = Aggregation.LAST
# SKM items are scored 1-4 (PermenPANRB 14/2017); the unit index (IKM) runs 25-100.
_SCORE_1_4 = ValueRange(Decimal(1), Decimal(4))
_IKM_RANGE = ValueRange(Decimal(25), Decimal(100))
_SERVICE_DESKS = (_J.FRONT_OFFICE_CLERK, _J.ID_CARD_REGISTRAR, _J.PERMIT_OFFICER)

NATIONAL_TEMPLATES: tuple[IndicatorTemplate, ...] = (
    # Front office (Dinas Pelayanan Umum, kelurahan): documents, waiting time, complaints.
    _national(
        "FO-DOCS-COMPLETED", "Jumlah dokumen permohonan yang diselesaikan", "Application documents completed",
        [_J.FRONT_OFFICE_CLERK], _A.QUANTITY, "dokumen", _HI, _SUM,
    ),
    _national(
        "FO-AVG-WAIT-MIN", "Rata-rata waktu tunggu pelayanan", "Average waiting time for service",
        [_J.FRONT_OFFICE_CLERK, _J.ID_CARD_REGISTRAR], _A.TIME, "menit", _LO, _AVG,
    ),
    _national(
        "SVC-COMPLAINTS-ON-TIME", "Persentase pengaduan yang diselesaikan sesuai batas waktu",
        "Complaints resolved within the deadline", [*_SERVICE_DESKS, _J.STRUCTURAL_HEAD],
        _A.TIME, "%", _HI, _RATIO,
    ),
    _national(
        "SVC-SATISFACTION-SCORE", "Rata-rata nilai kepuasan pengguna layanan (skala 1-4)",
        "Average service-user satisfaction score (1-4 scale)", _SERVICE_DESKS,
        _A.QUALITY, "nilai", _HI, _AVG, value_range=_SCORE_1_4,
    ),
    # Teachers: student achievement, lesson preparation, parents' view.
    _national(
        "TCH-STUDENTS-BENCHMARK", "Persentase peserta didik yang mencapai kriteria ketercapaian",
        "Students reaching the learning benchmark", [_J.TEACHER], _A.QUALITY, "%", _HI, _RATIO,
    ),
    _national(
        "TCH-LESSON-MODULES", "Jumlah modul ajar yang disusun", "Lesson modules prepared",
        [_J.TEACHER], _A.QUANTITY, "modul", _HI, _SUM,
    ),
    _national(
        "TCH-TEACHING-HOURS", "Jumlah jam tatap muka yang dilaksanakan", "Teaching hours delivered",
        [_J.TEACHER], _A.QUANTITY, "jam pelajaran", _HI, _SUM,
    ),
    _national(
        "TCH-PARENT-SATISFACTION", "Rata-rata nilai kepuasan orang tua/wali (skala 1-4)",
        "Average parent satisfaction score (1-4 scale)", [_J.TEACHER],
        _A.QUALITY, "nilai", _HI, _AVG, value_range=_SCORE_1_4,
    ),
    # School supervisors: coverage of their schools, timely reports, schools improving.
    _national(
        "SUP-SCHOOLS-VISITED", "Jumlah kunjungan supervisi ke sekolah binaan",
        "Supervision visits to schools",
        [_J.SCHOOL_SUPERVISOR], _A.QUANTITY, "kunjungan", _HI, _SUM,
    ),
    _national(
        "SUP-REPORTS-ON-TIME", "Persentase laporan supervisi yang disampaikan tepat waktu",
        "Supervision reports delivered on time", [_J.SCHOOL_SUPERVISOR], _A.TIME, "%", _HI, _RATIO,
    ),
    _national(
        "SUP-SCHOOLS-IMPROVED", "Persentase sekolah binaan dengan rapor pendidikan meningkat",
        "Supervised schools whose education report improved", [_J.SCHOOL_SUPERVISOR],
        _A.QUALITY, "%", _HI, _RATIO,
    ),
    # Health workers: patients served, their satisfaction and waiting, SOP compliance.
    _national(
        "HLT-PATIENTS-SERVED", "Jumlah pasien yang dilayani", "Patients served",
        [_J.HEALTH_WORKER], _A.QUANTITY, "pasien", _HI, _SUM,
    ),
    _national(
        "HLT-PATIENT-SATISFACTION", "Rata-rata nilai kepuasan pasien (skala 1-4)",
        "Average patient satisfaction score (1-4 scale)", [_J.HEALTH_WORKER],
        _A.QUALITY, "nilai", _HI, _AVG, value_range=_SCORE_1_4,
    ),
    _national(
        "HLT-AVG-WAIT-MIN", "Rata-rata waktu tunggu pasien", "Average patient waiting time",
        [_J.HEALTH_WORKER], _A.TIME, "menit", _LO, _AVG,
    ),
    _national(
        "HLT-SOP-COMPLIANCE", "Persentase layanan sesuai SOP", "Services delivered according to the SOP",
        [_J.HEALTH_WORKER], _A.QUALITY, "%", _HI, _RATIO,
    ),
    # Dukcapil ID-card registrars: cards issued, recordings, service-level compliance.
    _national(
        "KTP-CARDS-ISSUED", "Jumlah KTP-el yang diterbitkan", "Electronic ID cards issued",
        [_J.ID_CARD_REGISTRAR], _A.QUANTITY, "keping", _HI, _SUM,
    ),
    _national(
        "KTP-RECORDINGS", "Jumlah perekaman data KTP-el", "Electronic ID card recordings",
        [_J.ID_CARD_REGISTRAR], _A.QUANTITY, "orang", _HI, _SUM,
    ),
    _national(
        "KTP-ISSUED-ON-TIME", "Persentase KTP-el terbit sesuai standar waktu layanan",
        "ID cards issued within the service standard time", [_J.ID_CARD_REGISTRAR],
        _A.TIME, "%", _HI, _RATIO,
    ),
    # Permit officers (DPMPTSP): permits issued, on time, processing days.
    _national(
        "PRM-PERMITS-ISSUED", "Jumlah izin yang diterbitkan", "Permits issued",
        [_J.PERMIT_OFFICER], _A.QUANTITY, "izin", _HI, _SUM,
    ),
    _national(
        "PRM-ISSUED-ON-TIME", "Persentase izin terbit tepat waktu", "Permits issued on time",
        [_J.PERMIT_OFFICER], _A.TIME, "%", _HI, _RATIO,
    ),
    _national(
        "PRM-AVG-PROCESS-DAYS", "Rata-rata lama proses perizinan", "Average permit processing time",
        [_J.PERMIT_OFFICER], _A.TIME, "hari kerja", _LO, _AVG,
    ),
    # Structural heads: the unit's key indicators (IKU).
    _national(
        "HEAD-UNIT-IKM", "Indeks Kepuasan Masyarakat (IKM) unit", "Unit citizen satisfaction index (IKM)",
        [_J.STRUCTURAL_HEAD], _A.QUALITY, "indeks", _HI, _AVG, value_range=_IKM_RANGE,
    ),
    _national(
        "HEAD-TARGETS-ACHIEVED", "Persentase target kinerja unit yang tercapai", "Unit targets achieved",
        [_J.STRUCTURAL_HEAD], _A.QUALITY, "%", _HI, _RATIO,
    ),
    _national(
        "HEAD-BUDGET-REALISATION", "Persentase realisasi anggaran unit", "Unit budget realisation",
        [_J.STRUCTURAL_HEAD], _A.COST, "%", _HI, _RATIO,
    ),
    # General staff and anyone: tasks completed, reports on time, a qualitative quality statement.
    _national(
        "GEN-TASKS-COMPLETED", "Jumlah tugas yang diselesaikan", "Tasks completed",
        [_J.GENERAL_STAFF], _A.QUANTITY, "kegiatan", _HI, _SUM,
    ),
    _national(
        "GEN-REPORTS-ON-TIME", "Persentase laporan yang disampaikan tepat waktu", "Reports delivered on time",
        [_J.GENERAL_STAFF, _J.STRUCTURAL_HEAD], _A.TIME, "%", _HI, _RATIO,
    ),
    _national(
        "GEN-WORK-QUALITY", "Kualitas hasil kerja sesuai standar", "Work output meets the agreed standard",
        list(JobType), _A.QUALITY, "", _HI, _LAST, qualitative=True,
    ),
)  # fmt: skip


class TemplateLibrary:
    """National indicator templates merged with each region's additions (pustaka indikator)."""

    def __init__(self, national: Iterable[IndicatorTemplate] = NATIONAL_TEMPLATES) -> None:
        self._national: dict[str, IndicatorTemplate] = {}
        for template in national:
            if template.region_id is not None:
                raise Refusal(
                    "not_national",
                    "template %(code)s belongs to region %(region_id)s, not the nation",
                    field="region_id",
                    params={"code": template.code, "region_id": template.region_id},
                )
            if template.code in self._national:
                raise _duplicate(template.code)
            self._national[template.code] = template
        self._regional: dict[str, dict[str, IndicatorTemplate]] = {}

    def add_region_template(self, template: IndicatorTemplate, *, replace_national: bool = False) -> None:
        """Add a region's template; shadowing a national code must be asked for with replace_national."""
        if template.region_id is None:
            raise Refusal(
                "missing_value",
                "region template %(code)s must name its region",
                field="region_id",
                params={"code": template.code},
            )
        regional = self._regional.setdefault(template.region_id, {})
        if template.code in regional:
            raise _duplicate(template.code)
        if template.code in self._national and not replace_national:
            raise Refusal(
                "shadows_national",
                "template code %(code)s is a national default; pick another code or replace the national "
                "template explicitly",
                field="code",
                params={"code": template.code},
                kind=RefusalKind.CONFLICT,
            )
        if template.code not in self._national and replace_national:
            raise Refusal(
                "no_national_to_replace",
                "there is no national template %(code)s to replace",
                field="code",
                params={"code": template.code},
            )
        regional[template.code] = template

    def for_region(self, region_id: str) -> tuple[IndicatorTemplate, ...]:
        """All templates a region sees: national ones (or its replacements), then its own, by code."""
        regional = self._regional.get(region_id, {})
        merged = {**self._national, **regional}
        return tuple(merged[code] for code in sorted(merged))

    def for_job_type(self, region_id: str, job_type: JobType) -> tuple[IndicatorTemplate, ...]:
        """Templates a region offers to employees of one job type."""
        return tuple(t for t in self.for_region(region_id) if job_type in t.job_types)

    def get(self, region_id: str, code: str) -> IndicatorTemplate:
        """The template a region sees under `code`, or a refusal naming it."""
        found = self._regional.get(region_id, {}).get(code) or self._national.get(code)
        if found is None:
            raise Refusal(
                "unknown_template",
                "no indicator template %(code)s in region %(region_id)s",
                field="template_code",
                params={"code": code, "region_id": region_id},
            )
        return found

    def replaced_national_codes(self, region_id: str) -> tuple[str, ...]:
        """National codes a region has deliberately replaced with its own template."""
        return tuple(sorted(code for code in self._regional.get(region_id, {}) if code in self._national))


def _duplicate(code: str) -> Refusal:
    return Refusal(
        "duplicate_template",
        "template code %(code)s is already defined",
        field="code",
        kind=RefusalKind.CONFLICT,
        params={"code": code},
    )
