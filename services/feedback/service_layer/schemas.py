"""What feedback's use cases take and return, the API's bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.feedback.domain.behaviour import AssessorRole, CoreValue
from services.feedback.domain.complaints import ComplaintStatus
from services.feedback.domain.satisfaction import ServiceItem
from services.feedback.domain.survey import AgeBand, Education, Occupation, Sex, SurveyKind
from shared.contracts.periods import PeriodKey
from shared.dates import BoundedDate
from shared.validation import without_nul

#: Ids chosen by people (service ids) stay short, lower-case and URL-safe.
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: Ids minted by other services (uuid hex, region slugs): no spaces, no control characters.
ID_PATTERN = r"^[\w.:@-]{1,64}$"


class Strict(BaseModel):
    """Requests refuse unknown fields (a typo is an error, not silently ignored) and NUL characters."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return without_nul(value)


# --- Surveys (SKM) -------------------------------------------------------------------------------


class UnitServiceCreate(Strict):
    """A service of a unit that citizens rate (jenis layanan), e.g. the ID-card counter."""

    service_id: str = Field(pattern=SLUG, description="e.g. 'ktp-counter'")
    name: str = Field(min_length=1, max_length=300)
    survey_kind: SurveyKind = SurveyKind.PUBLIC_SERVICE


class UnitServiceRead(BaseModel):
    """A rated service of a unit."""

    unit_id: str
    service_id: str
    name: str
    survey_kind: SurveyKind
    survey_kind_label_id: str


class TicketCreate(Strict):
    """Service tickets to print on receipts or show as QR codes at the counter."""

    service_id: str | None = Field(default=None, pattern=SLUG)
    officer_employee_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="The officer who served, where the region ties responses to officers.",
    )
    count: int = Field(default=1, ge=1, le=200, description="How many tickets to issue at once.")


class TicketRead(BaseModel):
    """One single-use ticket (tiket layanan)."""

    code: str = Field(description="Printed form, e.g. 7KQ3M-XR8T2.")
    unit_id: str
    service_id: str | None
    officer_employee_id: str | None
    issued_at: datetime
    valid_until: datetime = Field(description="The last moment the ticket may be redeemed.")
    qr_payload: str = Field(description="What the QR code holds: the survey form's address with the ticket.")


class TicketBatchRead(BaseModel):
    """Tickets issued together."""

    tickets: list[TicketRead]


class RespondentProfile(Strict):
    """The optional respondent profile of the regulation's questionnaire."""

    age_band: AgeBand | None = None
    sex: Sex | None = None
    education: Education | None = None
    occupation: Occupation | None = None


class SurveyResponseCreate(Strict):
    """A citizen's answers to the nine SKM items (1 = tidak baik ... 4 = sangat baik)."""

    scores: dict[ServiceItem, int] = Field(description="All nine items, each 1-4.")
    service_id: str | None = Field(default=None, pattern=ID_PATTERN, description="e.g. 'ktp-counter'")
    comment: str | None = Field(default=None, max_length=2000)
    ticket: str | None = Field(
        default=None, max_length=16, description="The service ticket from the receipt or QR code, if any."
    )
    respondent: RespondentProfile | None = None


class SurveyResponseRead(BaseModel):
    """Receipt for an accepted response."""

    response_id: str
    unit_id: str
    service_id: str | None = None
    period: PeriodKey
    survey_kind: SurveyKind = SurveyKind.PUBLIC_SERVICE


class ServiceUsersReport(Strict):
    """How many citizens a unit (or one of its services) served in a period: the survey's population."""

    period: PeriodKey
    service_id: str | None = Field(default=None, pattern=SLUG)
    service_users: int = Field(ge=1, le=1_000_000_000)


class ItemScore(BaseModel):
    """NRR of one item."""

    item: ServiceItem
    label_id: str
    mean: Decimal


class SatisfactionIndexRead(BaseModel):
    """The live satisfaction index (IKM) of a unit, service and period."""

    unit_id: str
    service_id: str
    period: PeriodKey
    respondents: int = Field(description="The responses the index counts (see ``counted``).")
    ticketed_respondents: int = Field(description="Responses that redeemed a service ticket.")
    unticketed_respondents: int = Field(
        description="Responses without a ticket (a unit's public link); limited per device and address."
    )
    counted: Literal["ticketed", "all"] = Field(
        description="Which responses the index counts: the ticketed ones wherever any response of this "
        "scope and period redeemed a ticket, else all."
    )
    items: list[ItemScore]
    index: Decimal
    grade: str
    grade_label_id: str
    required_sample: int | None
    sample_adequate: bool | None
    improvement_priorities: list[ServiceItem]
    service_users: int | None = None
    sample_shortfall: int | None = None
    services: list[SatisfactionIndexRead] = Field(
        default_factory=list,
        description="For a whole unit (no service asked): the index of each of its services "
        '("" for responses about no particular service); the unit\'s index counts all of them.',
    )


# --- Complaints (pengaduan) ----------------------------------------------------------------------


class ComplaintContact(Strict):
    """How to reach the citizen; leave out entirely to complain anonymously."""

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{6,32}$")


class ComplaintCreate(Strict):
    """A citizen's complaint about a unit (required), optionally a service and an officer."""

    unit_id: str = Field(pattern=ID_PATTERN, description="The unit complained about.")
    service_id: str | None = Field(default=None, pattern=ID_PATTERN)
    officer_employee_id: str | None = Field(default=None, pattern=ID_PATTERN)
    category: str | None = Field(default=None, max_length=64)
    description: str = Field(min_length=10, max_length=4000)
    contact: ComplaintContact | None = None


class ComplaintReceipt(BaseModel):
    """What the citizen keeps: the tracking code (kode pelacakan)."""

    tracking_code: str
    status: ComplaintStatus
    filed_at: datetime
    due_at: datetime | None
    anonymous: bool


class ComplaintStep(BaseModel):
    """One move in a complaint's history as the citizen sees it."""

    status: ComplaintStatus
    status_label_id: str
    at: datetime
    reason: str | None = None


class ComplaintTrackingRead(BaseModel):
    """A complaint as its tracking code shows it (no contact details, no staff names)."""

    tracking_code: str
    unit_name: str
    status: ComplaintStatus
    status_label_id: str
    filed_at: datetime
    due_at: datetime | None
    history: list[ComplaintStep]
    reopen_until: datetime | None = None
    deadline_kind: str | None = Field(default=None, description="The running stage's deadline, if any.")
    working_days_left: int | None = Field(
        default=None, description="Working days until the running deadline (negative once overdue)."
    )
    has_photo: bool = Field(default=False, description="Whether the citizen attached a photo.")


class StaffComplaintStep(ComplaintStep):
    """One move with who made it."""

    actor: str
    unit_id: str | None = None


class ComplaintRead(BaseModel):
    """A complaint as the region's staff see it (its complainant only as the complaint desk sees it)."""

    complaint_id: str
    tracking_code: str | None = Field(
        description="The citizen's tracking code: for the complaint desk (region administrators) only."
    )
    unit_id: str
    service_id: str | None
    officer_employee_id: str | None
    category: str | None
    description: str
    contact: ComplaintContact | None = Field(
        description="How to reach the complainant: for the complaint desk only (a unit, whose staff "
        "may be the ones complained about, and auditors never see it)."
    )
    requires_field_check: bool
    status: ComplaintStatus
    status_since: datetime
    filed_at: datetime
    deadline_kind: str | None
    due_at: datetime | None
    history: list[StaffComplaintStep]


class ComplaintTransitionCreate(Strict):
    """Move a complaint in its life cycle (SP4N-LAPOR!)."""

    status: ComplaintStatus
    reason: str | None = Field(default=None, max_length=1000)
    unit_id: str | None = Field(default=None, pattern=ID_PATTERN, description="Required when dispatching.")
    requires_field_check: bool | None = Field(
        default=None, description="Set when the case needs a field check (longer resolution deadline)."
    )


class HolidayCreate(Strict):
    """A public holiday or collective leave day (hari libur nasional / cuti bersama)."""

    day: BoundedDate
    name: str = Field(min_length=1, max_length=200)


class HolidayRead(BaseModel):
    """A holiday of the region."""

    day: date
    name: str


class ComplaintPolicyCreate(Strict):
    """The region's complaint deadlines in working days and its weekend days, from a date on."""

    effective_from: BoundedDate
    verification_days: int = Field(default=3, ge=0, le=365)
    follow_up_days: int = Field(default=5, ge=0, le=365)
    resolution_without_field_check_days: int = Field(default=14, ge=0, le=365)
    resolution_with_field_check_days: int = Field(default=60, ge=0, le=365)
    reopen_window_days: int = Field(default=10, ge=0, le=365)
    weekend_days: list[int] = Field(
        default_factory=lambda: [5, 6], max_length=6, description="Weekdays off, 0 = Monday ... 6 = Sunday."
    )


class ComplaintPolicyRead(ComplaintPolicyCreate):
    """One dated version of the region's complaint policy."""

    model_config = ConfigDict(extra="ignore")


# --- Feedback inside the organisation ------------------------------------------------------------


class ContinuousFeedbackCreate(Strict):
    """A rater's feedback (umpan balik berkelanjutan) on one planned result, tied to its evidence."""

    result_id: str = Field(pattern=ID_PATTERN, description="The planned result (RHK).")
    activity_ids: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Reported activities (evidence) the feedback is about.",
    )
    text: str = Field(min_length=1, max_length=4000)


class ContinuousFeedbackRead(BaseModel):
    """One feedback entry."""

    feedback_id: str
    employee_id: str
    rater_id: str
    result_id: str
    result_text: str | None
    activity_ids: list[str]
    period: PeriodKey
    text: str
    given_at: datetime


class BehaviourAssessmentCreate(Strict):
    """Scores 1-5 on the seven BerAKHLAK values for one period."""

    period: PeriodKey
    scores: dict[CoreValue, int] = Field(description="All seven values, each 1-5 (3 = as expected).")
    note: str | None = Field(default=None, max_length=2000)


class BehaviourAssessmentRead(BaseModel):
    """Receipt of a submitted assessment."""

    assessment_id: str
    employee_id: str
    assessor_role: AssessorRole
    period: PeriodKey


class ValueScores(BaseModel):
    """Scores per core value (a mean when pooled)."""

    scores: dict[CoreValue, Decimal]
    overall: Decimal
    assessors: int


class BehaviourSummaryRead(BaseModel):
    """An employee's behaviour assessments of a period: peers only pooled, and only from the minimum on."""

    employee_id: str
    period: PeriodKey
    rater: ValueScores | None
    self_assessment: ValueScores | None
    peers: ValueScores | None
    peer_minimum: int
    proposed_rating: str | None
    proposed_rating_label_id: str | None


class ServiceUsersRead(BaseModel):
    """The recorded number of service users and, once there are responses, the index it qualifies."""

    unit_id: str
    service_id: str | None
    period: PeriodKey
    service_users: int
    index: SatisfactionIndexRead | None
