"""Every metric the scoring service declares beyond the shared runtime metrics."""

from prometheus_client import Counter

SCORECARDS_READ = Counter("kinerja_scoring_scorecards_read_total", "Scorecards served")
LATE_EVENTS = Counter(
    "kinerja_scoring_late_events_total",
    "Events kept aside because their period was already closed",
    ["event_type"],
)
FLAGS_RAISED = Counter("kinerja_scoring_flags_raised_total", "Flags raised, by kind", ["kind"])
RATING_DECISIONS = Counter(
    "kinerja_scoring_rating_decisions_total", "Rating decisions by raters", ["outcome"]
)
PERIODS_CLOSED = Counter("kinerja_scoring_periods_closed_total", "Periods closed (frozen)")
