"""Every metric the planning service declares beyond the shared runtime metrics."""

from prometheus_client import Counter

PLANS_DECIDED = Counter(
    "kinerja_planning_plans_decided_total", "Work plans approved or rejected", ["decision"]
)
