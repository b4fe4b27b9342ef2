"""Tables of the feedback service (schema ``feedback``).

Every table holding a region's data carries a non-null ``region_id`` (row-level security reads
it) and every query filters by it as well.
"""

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from shared.db import ServiceTables, make_metadata
from shared.read_models import stamp_columns

metadata = make_metadata()

#: Nine zero sums, one per SKM item: an aggregate before its first (ticketed) response.
ZERO_SUMS = text("'{0,0,0,0,0,0,0,0,0}'")

# --- Read models of other services' facts -------------------------------------------------------

#: Read model of units (from planning), so citizens can only rate units that exist.
units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    *stamp_columns(),
)

#: Read model of regions (from planning): the time zone and period length surveys are counted in.
regions = Table(
    "regions",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("period_kind", String(16), nullable=False),
)
runtime_tables = ServiceTables(metadata, regions=regions)

#: Read model of employees (from planning): units and the supervisor tree, for access rules, one row
#: per dated assignment (a move dated later holds from its date: shared/read_models.py).
employees = Table(
    "employees",
    metadata,
    # Keyed by region: planning's employee ids are unique per region only.
    Column("region_id", String(64), primary_key=True),
    Column("employee_id", String(64), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("unit_id", String(64), nullable=False),
    Column("supervisor_id", String(64)),
    Column("name", String(300), nullable=False),
    *stamp_columns(),
)

#: Read model of planned results (RHK) of approved plans, which continuous feedback refers to.
planned_results = Table(
    "planned_results",
    metadata,
    Column("result_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("plan_id", String(64), nullable=False, index=True),
    Column("employee_id", String(64), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("in_force", Boolean, nullable=False),
)

#: Read model of reported activities (from reporting): the evidence feedback can point at, kept as
#: what the check of a feedback's evidence reads (whose activity, of which result); the activities
#: themselves are reporting's to list.
activities = Table(
    "activities",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("activity_id", String(64), primary_key=True),
    Column("employee_id", String(64), nullable=False),
    Column("result_id", String(64), nullable=False),
)

# --- Citizen satisfaction survey (SKM) ----------------------------------------------------------

#: Services of a unit that citizens rate (jenis layanan), each with its survey kind.
unit_services = Table(
    "unit_services",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("survey_kind", String(32), nullable=False),
)

#: Single-use service tickets printed at the counter; a response may redeem one.
service_tickets = Table(
    "service_tickets",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("code", String(16), primary_key=True),
    Column("unit_id", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("officer_employee_id", String(64)),
    Column("issued_by", String(200), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("used_at", DateTime(timezone=True)),
    Column("response_id", String(64)),
)

survey_responses = Table(
    "survey_responses",
    metadata,
    Column("response_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("scores", ARRAY(Integer), nullable=False),
    Column("comment", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("survey_kind", String(32), nullable=False, server_default="public_service"),
    Column("ticket_code", String(16)),
    Column("officer_employee_id", String(64)),
    Column("age_band", String(16)),
    Column("sex", String(16)),
    Column("education", String(32)),
    Column("occupation", String(32)),
    # Pseudonymous (hashed) origin of the response, so that stuffing a unit's index can be traced.
    Column("address_hash", String(64)),
    Column("device_hash", String(64)),
    Index("ix_survey_responses_unit_period", "region_id", "unit_id", "service_id", "period"),
)

#: Running sums per unit, service and period, so the index is kept live without rescanning.
survey_aggregates = Table(
    "survey_aggregates",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("respondents", Integer, nullable=False),
    Column("score_sums", ARRAY(Integer), nullable=False),
    Column("service_users", Integer),
    # Of those, the responses that redeemed a service ticket (the index counts only these where any did).
    Column("ticketed_respondents", Integer, nullable=False, server_default="0"),
    Column("ticketed_score_sums", ARRAY(Integer), nullable=False, server_default=ZERO_SUMS),
)

# --- Complaints (pengaduan) ---------------------------------------------------------------------

#: Public holidays and collective leave days (hari libur, cuti bersama) of a region.
holidays = Table(
    "holidays",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("name", String(200), nullable=False),
)

#: A region's complaint deadlines and weekend days, dated: old complaints keep the rules of their time.
complaint_policies = Table(
    "complaint_policies",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("verification_days", Integer, nullable=False),
    Column("follow_up_days", Integer, nullable=False),
    Column("resolution_without_field_check_days", Integer, nullable=False),
    Column("resolution_with_field_check_days", Integer, nullable=False),
    Column("reopen_window_days", Integer, nullable=False),
    Column("weekend_days", ARRAY(Integer), nullable=False),
)

complaints = Table(
    "complaints",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("tracking_code", String(16), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("service_id", String(64)),
    Column("officer_employee_id", String(64)),
    Column("category", String(64)),
    Column("description", Text, nullable=False),
    Column("contact_name", String(200)),
    Column("contact_email", String(254)),
    Column("contact_phone", String(32)),
    Column("requires_field_check", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_since", DateTime(timezone=True), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    # The running stage deadline, kept on the row so the scheduler finds due complaints by index.
    Column("deadline_kind", String(48)),
    Column("deadline_started_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    UniqueConstraint("region_id", "tracking_code"),
    Index("ix_complaints_due_at", "due_at", postgresql_where=text("due_at IS NOT NULL")),
)

#: Every move of a complaint: the life-cycle history and the audit of who moved it.
complaint_history = Table(
    "complaint_history",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("unit_id", String(64)),
    Column("actor", String(200), nullable=False),
)

#: The one photo a citizen may attach to a complaint right after filing it (bytes checked by content).
complaint_photos = Table(
    "complaint_photos",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

#: One row per breached deadline: the unique key makes the breach event exactly-once.
complaint_breaches = Table(
    "complaint_breaches",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("deadline_kind", String(48), primary_key=True),
    Column("deadline_started_at", DateTime(timezone=True), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# --- Feedback inside the organisation -----------------------------------------------------------

continuous_feedback = Table(
    "continuous_feedback",
    metadata,
    Column("feedback_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False, index=True),
    Column("rater_id", String(64), nullable=False),
    Column("result_id", String(64), nullable=False),
    Column("activity_ids", ARRAY(String(64)), nullable=False),
    Column("period", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("given_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

behaviour_assessments = Table(
    "behaviour_assessments",
    metadata,
    Column("assessment_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("assessor_id", String(64), nullable=False),
    Column("assessor_role", String(16), nullable=False),
    Column("period", String(16), nullable=False),
    Column("scores", ARRAY(Integer), nullable=False),
    Column("note", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint(
        "region_id", "employee_id", "period", "assessor_id", name="uq_behaviour_assessments_per_region"
    ),
)
