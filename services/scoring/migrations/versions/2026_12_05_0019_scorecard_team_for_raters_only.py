"""The team read model's supervisor looked up only for a rater reading another's scorecard.

A scorecard's row carries ``team_supervisor_id`` (the employee's supervisor on the region's date,
from the dated moves) for one purpose: to let a rater see the scorecards of their team
(``queries/scorecards.py``). A region administrator, an auditor or the employee themself is let in
without it, yet every read looked it up: five plan nodes (limit, sort, the employees' index scan,
the region's zone twice) set up and run on every call, about 9-12% of the backend's CPU a read
(``bench/README.md``, scoring reads, session 18).

So ``scorecard_read`` and ``scorecard_of_year_read`` (0018's statement otherwise) now return it
null, and ``scorecard_team_read`` / ``scorecard_team_of_year_read`` (0018's statement whole, same
arguments and row) are what the scorecard calls when the reader is a rater who is neither an
overseer nor the employee. The answer is the same for every reader: the supervisor decides no
other reader's access and shows nowhere in the answer.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from pathlib import Path
from types import ModuleType

from alembic import op

from shared.migrations import load_migration

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _migration_0018() -> ModuleType:
    return load_migration(Path(__file__).with_name("2026_12_05_0018_scorecard_activities_kept_as_json.py"))


#: 0018's subquery of the supervisor on the region's date, as it stands in its statement.
_TEAM_SUPERVISOR = """(SELECT employees.supervisor_id
FROM employees
WHERE employees.region_id = _region_id AND employees.employee_id = _employee_id ORDER BY
    employees.effective_from <= CAST(timezone(coalesce((SELECT region_settings.timezone
FROM region_settings
WHERE region_settings.region_id = employees.region_id), 'Asia/Jakarta'), now()) AS DATE) DESC, CASE
    WHEN (employees.effective_from <= CAST(timezone(coalesce((SELECT region_settings.timezone
FROM region_settings
WHERE region_settings.region_id = employees.region_id), 'Asia/Jakarta'), now()) AS DATE)) THEN
    employees.effective_from END DESC NULLS LAST, employees.effective_from
 LIMIT 1) AS team_supervisor_id"""

_NO_TEAM_SUPERVISOR = "CAST(NULL AS character varying) AS team_supervisor_id"

#: Each function: the 0018 function whose statement and signature it takes, and whether it looks
#: the team supervisor up.
_FUNCTIONS = {
    "scorecard_read": ("scorecard_read", False),
    "scorecard_of_year_read": ("scorecard_of_year_read", False),
    "scorecard_team_read": ("scorecard_read", True),
    "scorecard_team_of_year_read": ("scorecard_of_year_read", True),
}


def _function(previous: ModuleType, name: str) -> str:
    statement_of, team = _FUNCTIONS[name]
    assert _TEAM_SUPERVISOR in previous._SCORECARD
    statement: str = previous._SCORECARD
    if not team:
        statement = statement.replace(_TEAM_SUPERVISOR, _NO_TEAM_SUPERVISOR)
    which: dict[str, str] = previous._WHICH[statement_of]
    return f"CREATE OR REPLACE FUNCTION {name}({previous._SIGNATURES[statement_of]})" + statement.replace(
        "{visits}", which["visits"]
    ).replace("{activities}", which["activities"])


def upgrade() -> None:
    previous = _migration_0018()
    for name in _FUNCTIONS:
        op.execute(_function(previous, name))


def downgrade() -> None:
    previous = _migration_0018()
    for name, (statement_of, team) in _FUNCTIONS.items():
        if team:
            arguments = previous._SIGNATURES[statement_of].split(", ")
            types = ", ".join(argument.split()[-1] for argument in arguments)
            op.execute(f"DROP FUNCTION {name}({types})")
        else:
            op.execute(previous._scorecard_function(name))
