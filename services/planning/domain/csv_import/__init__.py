"""Validation of the structure-and-employees CSV that regional HR offices (BKPSDM) export.

One row per employee: the unit they work in (with its name, kind and parent, so the file also
describes the unit tree), their position, job type, direct supervisor and the date it holds from.
`validate_import` only judges the file: it returns every row as accepted or rejected with reasons
and changes nothing. Accepted rows are consistent among themselves and with the existing data, so
the caller may apply all of them or none; a row whose supervisor or parent unit is rejected is
rejected too, so applying the accepted rows never leaves a dangling reference.

The package's modules, in the order a file goes through them: `layout` (columns, header,
delimiter), `rows` (each row on its own), `cross_checks` (rows against each other and the
region's data), `report` (accepted and rejected rows); `validate` holds `validate_import`.
"""

from services.planning.domain.csv_import.layout import COLUMNS, OPTIONAL_COLUMNS
from services.planning.domain.csv_import.report import EmployeeRecord, ImportReport
from services.planning.domain.csv_import.validate import validate_import

__all__ = ["COLUMNS", "OPTIONAL_COLUMNS", "EmployeeRecord", "ImportReport", "validate_import"]
