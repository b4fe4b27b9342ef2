"""A citizen's survey response: validated, its ticket redeemed, added to the unit's sums."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert

from services.feedback.adapters.tables import (
    survey_responses,
)
from services.feedback.domain.periods import period_at
from services.feedback.domain.satisfaction import ServiceItem, SurveyResponse
from services.feedback.domain.survey import SurveyKind
from services.feedback.domain.tracking_code import (
    parse_tracking_code,
)
from services.feedback.metrics import SURVEY_RESPONSES
from services.feedback.service_layer.read_models import (
    region_clock,
    unit_name,
)
from services.feedback.service_layer.satisfaction import (
    NO_SERVICE,
    publish_index_changes,
)
from services.feedback.service_layer.schemas import SurveyResponseCreate, SurveyResponseRead
from services.feedback.service_layer.surveys.aggregates import add_to_aggregate
from services.feedback.service_layer.surveys.tickets import redeem_ticket
from services.feedback.service_layer.surveys.unit_services import service_row
from shared.contracts.feedback import SurveyResponseAccepted
from shared.observability import region_label
from shared.refusals import Refusal
from shared.unit_of_work import UnitOfWork


def pseudonymous_address(address: str | None) -> str | None:
    """What the audit trail keeps of a citizen's address: enough to link abuse, not the address."""
    if address is None:
        return None
    return "sha256:" + hashlib.sha256(address.encode()).hexdigest()[:24]


def _validated_response(response_in: SurveyResponseCreate) -> SurveyResponse:
    missing = [item.value for item in ServiceItem if item not in response_in.scores]
    if missing:
        raise Refusal(
            "missing_items",
            "Every item must be scored; missing: %(missing)s.",
            field="scores",
            params={"missing": ", ".join(missing)},
        )
    return SurveyResponse.from_mapping(response_in.scores)


async def submit_survey_response(
    *,
    uow: UnitOfWork,
    region_id: str,
    unit_id: str,
    response_in: SurveyResponseCreate,
    now: datetime,
    ticket_valid_for: timedelta,
    address_hash: str | None = None,
    device_hash: str | None = None,
) -> SurveyResponseRead:
    """Accept a citizen's response and update the unit's live index in the same transaction."""
    await unit_name(uow.session, region_id, unit_id)
    response = _validated_response(response_in)
    response_id = uuid.uuid4().hex
    service_id = response_in.service_id or NO_SERVICE
    officer: str | None = None
    if response_in.ticket:
        ticket_service, officer = await redeem_ticket(
            uow,
            region_id=region_id,
            unit_id=unit_id,
            text=response_in.ticket,
            response_id=response_id,
            now=now,
            valid_for=ticket_valid_for,
        )
        if response_in.service_id and response_in.service_id != ticket_service:
            raise Refusal(
                "ticket_other_service",
                "This ticket was issued for another service of the unit.",
                field="service_id",
            )
        service_id = ticket_service
    kind = SurveyKind.PUBLIC_SERVICE
    if service_id:
        kind = SurveyKind((await service_row(uow.session, region_id, unit_id, service_id)).survey_kind)
    clock = await region_clock(uow.session, region_id)
    period = period_at(now, timezone=clock.timezone, kind=clock.period_kind).key
    profile = response_in.respondent
    scores = list(response.scores)
    await uow.session.execute(
        insert(survey_responses).values(
            response_id=response_id,
            region_id=region_id,
            unit_id=unit_id,
            service_id=service_id,
            period=period,
            scores=scores,
            comment=response_in.comment,
            submitted_at=now,
            survey_kind=kind.value,
            ticket_code=parse_tracking_code(response_in.ticket) if response_in.ticket else None,
            officer_employee_id=officer,
            age_band=profile.age_band.value if profile and profile.age_band else None,
            sex=profile.sex.value if profile and profile.sex else None,
            education=profile.education.value if profile and profile.education else None,
            occupation=profile.occupation.value if profile and profile.occupation else None,
            address_hash=address_hash,
            device_hash=device_hash,
        )
    )
    await add_to_aggregate(
        uow,
        region_id=region_id,
        unit_id=unit_id,
        service_id=service_id,
        period=period,
        response=response,
        ticketed=response_in.ticket is not None,
    )
    uow.emit(
        SurveyResponseAccepted(
            region_id=region_id,
            response_id=response_id,
            unit_id=unit_id,
            service_id=service_id or None,
            period=period,
            scores=scores,
            officer_employee_id=officer,
            survey_kind=kind.value,
            ticketed=response_in.ticket is not None,
        )
    )
    await publish_index_changes(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=period
    )
    SURVEY_RESPONSES.labels(region_label(region_id)).inc()
    return SurveyResponseRead(
        response_id=response_id,
        unit_id=unit_id,
        service_id=service_id or None,
        period=period,
        survey_kind=kind,
    )
