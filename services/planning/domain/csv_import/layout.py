"""The file's layout: its columns, a header naming them in any order, the delimiter the export used."""

from __future__ import annotations

from shared.refusals import Refusal

COLUMNS: tuple[str, ...] = (
    "nip",
    "name",
    "unit_code",
    "unit_name",
    "unit_kind",
    "parent_unit_code",
    "position",
    "job_type",
    "supervisor_nip",
    "effective_date",
)
"""Columns of the import file, in the order the export writes them; the header may order them freely."""

OPTIONAL_COLUMNS: frozenset[str] = frozenset({"unit_kind"})
"""Columns that may be left out: without unit_kind, a unit with no parent is an agency, else a section."""


def read_header(first: list[str]) -> tuple[dict[str, int], list[Refusal]]:
    """Each column's position by its normalised name, and what is wrong with the header."""
    names = [name.strip().lstrip("\ufeff").strip().lower().replace(" ", "_") for name in first]
    header: dict[str, int] = {}
    problems: list[Refusal] = []
    for index, name in enumerate(names):
        if name in header:
            problems.append(
                Refusal(
                    "duplicate_column",
                    "column %(name)s appears more than once",
                    field="header",
                    params={"name": name},
                )
            )
        header.setdefault(name, index)
    missing = [column for column in COLUMNS if column not in header and column not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(
            Refusal(
                "missing_columns",
                "missing column(s): %(missing)s",
                field="header",
                params={"missing": ", ".join(missing)},
            )
        )
    return header, problems


def delimiter_of(first_line: str) -> str:
    """The delimiter the header line uses most: ',', ';' or tab."""
    # Spreadsheets in an Indonesian locale export with ';' because ',' is the decimal separator.
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter])
