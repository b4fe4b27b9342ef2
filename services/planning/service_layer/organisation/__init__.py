"""Use cases of the organisation: the one entry the API, imports, templates and work plans use.

- `regions`: registering and finding a region; `units`: its unit tree;
- `employee_moves`: hiring and dated moves (mutasi); `employee_reads`: what staff see of employees.
"""

from services.planning.service_layer.organisation.employee_moves import (
    assignment_of,
    create_employee,
    move_employee,
    store_assignment,
)
from services.planning.service_layer.organisation.employee_reads import (
    employee_history,
    get_employee,
    list_employees,
)
from services.planning.service_layer.organisation.regions import (
    new_id,
    region_today,
    register_region,
    require_region,
)
from services.planning.service_layer.organisation.units import create_unit, list_units, update_unit

__all__ = [
    "assignment_of",
    "create_employee",
    "create_unit",
    "employee_history",
    "get_employee",
    "list_employees",
    "list_units",
    "move_employee",
    "new_id",
    "region_today",
    "register_region",
    "require_region",
    "store_assignment",
    "update_unit",
]
