"""A region's organisation: its units, its employees and the dated supervisor tree.

- `names`: the ids and names people type (region slug, unit code, a name not blank);
- `units`: the region and its unit tree (agency, section, service point);
- `nip`: the NIP and what each of its digit groups encodes;
- `employees`: employees, their positions and job types;
- `timeline`: a value that changes on dated days;
- `supervisor_tree`: dated moves of unit, position and supervisor, supervisor cycles refused.
"""

from services.planning.domain.organisation.employees import Employee, JobType, Position
from services.planning.domain.organisation.names import is_unit_code, require_text, validate_region_id
from services.planning.domain.organisation.nip import Nip, Sex
from services.planning.domain.organisation.supervisor_tree import Move, SupervisorTree
from services.planning.domain.organisation.units import (
    OrganisationUnit,
    Region,
    UnitKind,
    UnitTree,
    unit_parent_problem,
)

__all__ = [
    "Employee",
    "JobType",
    "Move",
    "Nip",
    "OrganisationUnit",
    "Position",
    "Region",
    "Sex",
    "SupervisorTree",
    "UnitKind",
    "UnitTree",
    "is_unit_code",
    "require_text",
    "unit_parent_problem",
    "validate_region_id",
]
