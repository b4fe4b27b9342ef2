"""Every metric the feedback service declares beyond the shared runtime metrics."""

from prometheus_client import Counter, Gauge, Histogram

SURVEY_RESPONSES = Counter(
    "kinerja_feedback_survey_responses_total", "Citizen survey responses accepted", ["region"]
)
TICKETS_ISSUED = Counter("kinerja_feedback_service_tickets_issued_total", "Service tickets issued")
TICKETS_REFUSED = Counter(
    "kinerja_feedback_service_tickets_refused_total",
    "Survey responses refused because of their ticket",
    ["reason"],
)
RATE_LIMITED = Counter(
    "kinerja_feedback_rate_limited_total",
    "Citizen requests refused with 429, by endpoint (action) and what was limited (address, device)",
    ["action", "dimension"],
)
RATE_LIMITER_ERRORS = Counter(
    "kinerja_feedback_rate_limiter_errors_total",
    "Citizen requests limited by their instance alone because Redis could not be asked",
)
COMPLAINTS_FILED = Counter(
    "kinerja_feedback_complaints_filed_total", "Complaints filed by citizens", ["region"]
)
COMPLAINTS_OPEN = Gauge(
    "kinerja_feedback_complaints_open", "Complaints not closed, archived or refused, by region", ["region"]
)
COMPLAINTS_PAST_DEADLINE = Gauge(
    "kinerja_feedback_complaints_past_deadline",
    "Open complaints whose running stage deadline has passed, by region",
    ["region"],
)
COMPLAINT_MOVES = Counter("kinerja_feedback_complaint_moves_total", "Complaint status changes", ["to_status"])
COMPLAINT_BREACHES = Counter(
    "kinerja_feedback_complaint_deadline_breaches_total",
    "Complaint deadline breaches emitted, by region and stage",
    ["region", "stage"],
)
DEADLINE_SCANS = Counter(
    "kinerja_feedback_deadline_scans_total", "Complaint deadline scans run, by outcome", ["outcome"]
)
for _outcome in ("ok", "failed"):
    DEADLINE_SCANS.labels(_outcome)
DEADLINE_SCAN_SECONDS = Histogram(
    "kinerja_feedback_deadline_scan_seconds", "Duration of one complaint deadline scan"
)
CONTINUOUS_FEEDBACK = Counter(
    "kinerja_feedback_continuous_feedback_total", "Continuous feedback entries given by raters"
)
BEHAVIOUR_ASSESSMENTS = Counter(
    "kinerja_feedback_behaviour_assessments_total", "Behaviour assessments submitted", ["assessor_role"]
)
