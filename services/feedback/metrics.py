"""Every metric the feedback service declares beyond the shared runtime metrics."""

from prometheus_client import Counter

SURVEY_RESPONSES = Counter("kinerja_feedback_survey_responses_total", "Citizen survey responses accepted")
