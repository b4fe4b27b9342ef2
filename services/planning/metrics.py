"""Every metric the planning service declares beyond the shared runtime metrics."""

from prometheus_client import Counter, Histogram

PLANS_DECIDED = Counter(
    "kinerja_planning_plans_decided_total", "Work plans approved or rejected", ["decision"]
)
PLANS_REVISED = Counter("kinerja_planning_plans_revised_total", "New work plan versions opened by revision")
SUPERVISOR_CYCLES_REFUSED = Counter(
    "kinerja_planning_supervisor_cycles_refused_total", "Supervisor assignments refused because of a cycle"
)
IMPORTS = Counter("kinerja_planning_imports_total", "CSV structure imports by outcome", ["outcome"])
IMPORT_ROWS = Counter("kinerja_planning_import_rows_total", "CSV import rows judged, by verdict", ["verdict"])
IMPORT_SECONDS = Histogram(
    "kinerja_planning_import_seconds",
    "Time to validate and apply a CSV import",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
