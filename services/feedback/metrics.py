"""Every metric the feedback service declares beyond the shared runtime metrics."""

from prometheus_client import Counter, Histogram

SURVEY_RESPONSES = Counter("kinerja_feedback_survey_responses_total", "Citizen survey responses accepted")
TICKETS_ISSUED = Counter("kinerja_feedback_service_tickets_issued_total", "Service tickets issued")
TICKETS_REFUSED = Counter(
    "kinerja_feedback_service_tickets_refused_total",
    "Survey responses refused because of their ticket",
    ["reason"],
)
RATE_LIMITED = Counter(
    "kinerja_feedback_rate_limited_total",
    "Citizen requests refused with 429",
    ["action", "dimension"],
)
RATE_LIMITER_ERRORS = Counter(
    "kinerja_feedback_rate_limiter_errors_total",
    "Citizen requests limited by their instance alone because Redis could not be asked",
)
COMPLAINTS_FILED = Counter("kinerja_feedback_complaints_filed_total", "Complaints filed by citizens")
COMPLAINT_MOVES = Counter("kinerja_feedback_complaint_moves_total", "Complaint status changes", ["to_status"])
COMPLAINT_BREACHES = Counter(
    "kinerja_feedback_complaint_deadline_breaches_total", "Complaint deadline breaches emitted", ["stage"]
)
DEADLINE_SCAN_SECONDS = Histogram(
    "kinerja_feedback_deadline_scan_seconds", "Duration of one complaint deadline scan"
)
DEADLINE_SCAN_FAILURES = Counter(
    "kinerja_feedback_deadline_scan_failures_total", "Complaint deadline scans that failed (retried)"
)
CONTINUOUS_FEEDBACK = Counter(
    "kinerja_feedback_continuous_feedback_total", "Continuous feedback entries given by raters"
)
BEHAVIOUR_ASSESSMENTS = Counter(
    "kinerja_feedback_behaviour_assessments_total", "Behaviour assessments submitted", ["assessor_role"]
)
