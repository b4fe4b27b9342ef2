"""Every metric the reporting service declares beyond the shared runtime metrics."""

from prometheus_client import Counter

ACTIVITIES_SUBMITTED = Counter(
    "kinerja_reporting_activities_total", "Activity reports by outcome", ["outcome"]
)
