"""Event handlers that keep scoring's facts and views current; each applies one event exactly once.

The consumer runner guarantees "once" with the processed-events row. Each handler records the fact
the event carries and notes the view rows it touches; the rows are then refreshed from all stored
facts (see the views package), so the views equal a recomputation from the raw events whatever
order they arrived in. Activity changes are folded and stored, and each touched row refreshed, once
at the end of the batch (``PendingViews``, the batch's deferred work), set-based. During ``kinerja
replay`` the touched rows go to the replay's ``ViewBacklog`` (the scope's ``replay_backlog``)
instead and are refreshed once, when every event is applied. Handlers write only through the
scope they are given (``shared.messaging.scope``). An event about a period closed before it
happened is kept in ``late_events`` and never changes the frozen views.

The handlers are grouped by the family of events they take: ``organisation.py`` (planning's),
``activities.py`` (reporting's) and ``feedback.py``; ``pending.py`` and ``backlog.py`` hold the
deferred work, ``activity_store.py`` and ``evidence.py`` what a batch's activity changes do.
"""

from services.scoring.service_layer.projections.activities import (
    on_activity_corrected,
    on_activity_rejected,
    on_activity_reported,
    on_activity_verified,
    on_evidence_attached,
    on_field_visit_logged,
)
from services.scoring.service_layer.projections.backlog import ViewBacklog
from services.scoring.service_layer.projections.feedback import (
    on_behaviour_assessment_submitted,
    on_complaint_deadline_breached,
    on_satisfaction_index_changed,
)
from services.scoring.service_layer.projections.organisation import (
    on_employee_upserted,
    on_region_registered,
    on_unit_upserted,
    on_work_plan_approved,
    on_work_plan_superseded,
)
from services.scoring.service_layer.projections.pending import PendingViews, ScoringScope

__all__ = [
    "PendingViews",
    "ScoringScope",
    "ViewBacklog",
    "on_activity_corrected",
    "on_activity_rejected",
    "on_activity_reported",
    "on_activity_verified",
    "on_behaviour_assessment_submitted",
    "on_complaint_deadline_breached",
    "on_employee_upserted",
    "on_evidence_attached",
    "on_field_visit_logged",
    "on_region_registered",
    "on_satisfaction_index_changed",
    "on_unit_upserted",
    "on_work_plan_approved",
    "on_work_plan_superseded",
]
