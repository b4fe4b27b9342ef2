"""One row read on its own: each cell parsed, every problem of the row kept rather than the first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from services.planning.domain.organisation import JobType, Nip, UnitKind, is_unit_code
from shared.refusals import Refusal

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNIT_KIND_ALIASES: dict[str, UnitKind] = {
    "dinas": UnitKind.AGENCY,
    "opd": UnitKind.AGENCY,
    "badan": UnitKind.AGENCY,
    "bidang": UnitKind.SECTION,
    "seksi": UnitKind.SECTION,
    "subbagian": UnitKind.SECTION,
    "upt": UnitKind.SERVICE_POINT,
    "sekolah": UnitKind.SERVICE_POINT,
    "puskesmas": UnitKind.SERVICE_POINT,
    "loket": UnitKind.SERVICE_POINT,
}


@dataclass(slots=True)
class ParsedRow:
    """A row with what could be read of its cells; the cross-row checks add to its problems."""

    number: int
    values: tuple[str, ...]
    problems: list[Refusal] = field(default_factory=list)
    nip: Nip | None = None
    name: str = ""
    unit_code: str | None = None
    unit_name: str = ""
    unit_kind: UnitKind | None = None
    parent_code: str | None = None
    position: str = ""
    job_type: JobType | None = None
    supervisor: Nip | None = None
    effective_from: date | None = None

    @property
    def alive(self) -> bool:
        """True while no problem is found: the row is still to be accepted."""
        return not self.problems


def _missing(column: str) -> Refusal:
    return Refusal("missing_value", "%(column)s must not be empty", field=column, params={"column": column})


def _nip(row: ParsedRow, text: str, column: str) -> Nip | None:
    # Read as the domain reads a typed NIP (spaces between its groups ignored), keeping the problem.
    try:
        return Nip.parse(text, column)
    except Refusal as error:
        row.problems.extend(error.problems)
        return None


def _parse_unit_kind(text: str) -> UnitKind:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return UnitKind(key)
    except ValueError:
        found = _UNIT_KIND_ALIASES.get(key)
        if found is None:
            raise Refusal(
                "unknown_unit_kind",
                "unknown unit kind %(text)s; expected one of %(choices)s",
                field="unit_kind",
                params={"text": repr(text), "choices": ", ".join(k.value for k in UnitKind)},
            ) from None
        return found


def parse_row(number: int, values: list[str], header: dict[str, int]) -> ParsedRow:
    """Read row `number` by the header's column positions, keeping every problem found."""
    row = ParsedRow(number, tuple(values))
    if len(values) < len(header) or any(v.strip() for v in values[len(header) :]):
        row.problems.append(
            Refusal(
                "column_count",
                "expected %(count)s columns, found %(found)s",
                field="row",
                params={"count": len(header), "found": len(values)},
            )
        )
        return row

    def get(column: str) -> str:
        index = header.get(column)
        return "" if index is None else values[index].strip()

    text = get("nip")
    if not text:
        row.problems.append(_missing("nip"))
    else:
        row.nip = _nip(row, text, "nip")

    row.name = get("name")
    if not row.name:
        row.problems.append(_missing("name"))

    code = get("unit_code")
    if not code:
        row.problems.append(_missing("unit_code"))
    elif not is_unit_code(code):
        row.problems.append(
            Refusal(
                "invalid_unit_code",
                "unit code %(code)s must be 1-40 letters, digits, '.', '_', '/', '-'",
                field="unit_code",
                params={"code": repr(code)},
            )
        )
    else:
        row.unit_code = code

    row.unit_name = get("unit_name")
    if not row.unit_name:
        row.problems.append(_missing("unit_name"))

    kind = get("unit_kind")
    if kind:
        try:
            row.unit_kind = _parse_unit_kind(kind)
        except Refusal as error:
            row.problems.extend(error.problems)

    parent = get("parent_unit_code")
    if parent:
        if not is_unit_code(parent):
            row.problems.append(
                Refusal(
                    "invalid_unit_code",
                    "parent unit code %(parent)s must be 1-40 letters, digits, '.', '_', '/', '-'",
                    field="parent_unit_code",
                    params={"parent": repr(parent)},
                )
            )
        elif parent == code:
            row.problems.append(
                Refusal(
                    "unit_own_parent",
                    "unit %(code)s cannot be its own parent",
                    field="parent_unit_code",
                    params={"code": code},
                )
            )
        else:
            row.parent_code = parent

    row.position = get("position")
    if not row.position:
        row.problems.append(_missing("position"))

    job = get("job_type")
    if not job:
        row.problems.append(_missing("job_type"))
    else:
        try:
            row.job_type = JobType.parse(job)
        except Refusal as error:
            row.problems.extend(error.problems)

    supervisor = get("supervisor_nip")
    if supervisor:
        supervisor_nip = _nip(row, supervisor, "supervisor_nip")
        if supervisor_nip is not None and supervisor_nip == row.nip:
            row.problems.append(
                Refusal(
                    "self_supervision", "an employee cannot be their own supervisor", field="supervisor_nip"
                )
            )
        else:
            row.supervisor = supervisor_nip

    when = get("effective_date")
    if not when:
        row.problems.append(_missing("effective_date"))
    else:
        try:
            if not _ISO_DATE.fullmatch(when):
                raise ValueError(when)
            row.effective_from = date.fromisoformat(when)
        except ValueError:
            row.problems.append(
                Refusal(
                    "invalid_date",
                    "effective date %(when)s must be a real date written yyyy-mm-dd",
                    field="effective_date",
                    params={"when": repr(when)},
                )
            )
    return row
