"""Use cases of complaints (pengaduan): the one entry the API, the scheduler and photos import.

- `filing`: the citizen's side (file, track by code, reopen);
- `desk`: what staff see; `lifecycle`: staff moves and missed deadlines;
- `rules`: the region's calendar and dated policy (working-day deadlines);
- `records`: rows, history and labels every other module shares.
"""

from services.feedback.service_layer.complaints.desk import complaint_detail, list_complaints
from services.feedback.service_layer.complaints.filing import (
    file_complaint,
    reopen_complaint,
    track_complaint,
)
from services.feedback.service_layer.complaints.lifecycle import move_complaint, record_breach_if_due
from services.feedback.service_layer.complaints.records import SCHEDULER
from services.feedback.service_layer.complaints.rules import (
    add_holiday,
    list_holidays,
    list_policies,
    remove_holiday,
    set_policy,
)

__all__ = [
    "SCHEDULER",
    "add_holiday",
    "complaint_detail",
    "file_complaint",
    "list_complaints",
    "list_holidays",
    "list_policies",
    "move_complaint",
    "record_breach_if_due",
    "remove_holiday",
    "reopen_complaint",
    "set_policy",
    "track_complaint",
]
