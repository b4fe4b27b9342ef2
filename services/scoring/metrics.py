"""Every metric the scoring service declares beyond the shared runtime metrics ."""

from prometheus_client import Counter

SCORECARDS_READ = Counter("kinerja_scoring_scorecards_read_total", "Scorecards served")
