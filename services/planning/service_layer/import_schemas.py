"""What the organisation import answers: every row's verdict, and what it created (or would create)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ProblemRead(BaseModel):
    """One reason a row or file was refused, naming the column."""

    field: str
    code: str
    message: str
    message_id: str


RowChange = Literal["created", "moved", "unchanged"]


class ImportRowRead(BaseModel):
    """The verdict on one row of an import file (row 1 is the header, as in a spreadsheet)."""

    row: int
    status: Literal["accepted", "rejected"]
    nip: str | None
    problems: list[ProblemRead] = Field(default_factory=list)
    change: RowChange | None = Field(
        default=None,
        description="What the row does (on a dry run: would do) to its employee; none if refused.",
    )
    employee_id: str | None = Field(
        default=None, description="The employee's id (a new employee's only once the import is applied)."
    )


class ImportedUnitRead(BaseModel):
    """A unit the import creates (on a dry run: would create), with its id."""

    code: str
    unit_id: str


class ImportReportRead(BaseModel):
    """Outcome of a CSV import: every row's verdict; applied only when every row was accepted."""

    region_id: str
    applied: bool
    dry_run: bool
    total_rows: int
    accepted: int
    rejected: int
    units_created: int = 0
    employees_created: int = 0
    employees_moved: int = 0
    new_units: list[ImportedUnitRead] = Field(default_factory=list)
    file_problems: list[ProblemRead] = Field(default_factory=list)
    rows: list[ImportRowRead]
