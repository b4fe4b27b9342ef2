"""Use cases of the citizen satisfaction survey (SKM): services, tickets, responses, index, report."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    service_tickets,
    survey_aggregates,
    survey_responses,
    unit_services,
)
from services.feedback.domain.errors import DomainError, InvalidTrackingCodeError
from services.feedback.domain.periods import SurveyPeriod, parse_period, period_at
from services.feedback.domain.report import RespondentRow, SkmReport, build_skm_report
from services.feedback.domain.satisfaction import ServiceItem, SurveyAggregate, SurveyResponse
from services.feedback.domain.survey import SurveyKind
from services.feedback.domain.tracking_code import (
    format_tracking_code,
    generate_tracking_code,
    parse_tracking_code,
)
from services.feedback.entrypoints.schemas import (
    ServiceUsersRead,
    ServiceUsersReport,
    SurveyResponseCreate,
    SurveyResponseRead,
    TicketBatchRead,
    TicketCreate,
    TicketRead,
    UnitServiceCreate,
    UnitServiceRead,
)
from services.feedback.metrics import SURVEY_RESPONSES, TICKETS_ISSUED, TICKETS_REFUSED
from services.feedback.service_layer.errors import as_api_error
from services.feedback.service_layer.periods import in_period
from services.feedback.service_layer.read_models import (
    find_employee,
    region_clock,
    require_employee,
    unit_name,
)
from services.feedback.service_layer.satisfaction import (
    NO_SERVICE,
    index_read,
    lock_unit,
    no_responses,
    publish_index_changes,
    summed,
)
from shared.auth import Principal, Role
from shared.contracts.feedback import SurveyResponseAccepted
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.observability import region_label
from shared.unit_of_work import UnitOfWork

_TICKET_ATTEMPTS = 5


def pseudonymous_address(address: str | None) -> str | None:
    """What the audit trail keeps of a citizen's address: enough to link abuse, not the address."""
    if address is None:
        return None
    return "sha256:" + hashlib.sha256(address.encode()).hexdigest()[:24]


def _unit_service_read(row: Any) -> UnitServiceRead:
    kind = SurveyKind(row.survey_kind)
    return UnitServiceRead(
        unit_id=row.unit_id,
        service_id=row.service_id,
        name=row.name,
        survey_kind=kind,
        survey_kind_label_id=kind.label_id,
    )


async def _service_row(session: AsyncSession, region_id: str, unit_id: str, service_id: str) -> Any:
    row = (
        await session.execute(
            select(unit_services).where(
                unit_services.c.region_id == region_id,
                unit_services.c.unit_id == unit_id,
                unit_services.c.service_id == service_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound(
            "unknown_service",
            f"The unit has no service '{service_id}'.",
            f"Unit ini tidak memiliki layanan '{service_id}'.",
            field="service_id",
        )
    return row


async def declare_unit_service(
    *, uow: UnitOfWork, region_id: str, unit_id: str, service_in: UnitServiceCreate
) -> UnitServiceRead:
    """Add (or rename) a service of a unit that citizens can rate."""
    await unit_name(uow.session, region_id, unit_id)
    values = {"name": service_in.name, "survey_kind": service_in.survey_kind.value}
    statement = insert(unit_services).values(
        region_id=region_id, unit_id=unit_id, service_id=service_in.service_id, **values
    )
    row = (
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["unit_id", "service_id"],
                set_=values,
                where=unit_services.c.region_id == region_id,
            ).returning(*unit_services.c)
        )
    ).first()
    if row is None:
        raise NotFound(
            "unknown_unit", "No such service unit.", "Unit layanan tidak ditemukan.", field="unit_id"
        )
    return _unit_service_read(row)


async def list_unit_services(*, session: AsyncSession, region_id: str, unit_id: str) -> list[UnitServiceRead]:
    """The rated services of a unit."""
    await unit_name(session, region_id, unit_id)
    rows = await session.execute(
        select(unit_services)
        .where(unit_services.c.region_id == region_id, unit_services.c.unit_id == unit_id)
        .order_by(unit_services.c.service_id)
    )
    return [_unit_service_read(row) for row in rows]


def qr_payload(survey_url: str, *, region_id: str, unit_id: str, service_id: str | None, code: str) -> str:
    """The survey form's address with the ticket, for the QR code at the counter."""
    query = {"region": region_id, "unit": unit_id, "ticket": code}
    if service_id:
        query["service"] = service_id
    return f"{survey_url}?{urlencode(query)}"


async def issue_tickets(
    *,
    uow: UnitOfWork,
    region_id: str,
    unit_id: str,
    ticket_in: TicketCreate,
    issued_by: str,
    survey_url: str,
    valid_for: timedelta,
) -> TicketBatchRead:
    """Issue single-use service tickets for a unit (and service, and officer)."""
    await unit_name(uow.session, region_id, unit_id)
    if ticket_in.service_id:
        await _service_row(uow.session, region_id, unit_id, ticket_in.service_id)
    if ticket_in.officer_employee_id:
        await require_employee(
            uow.session, region_id, ticket_in.officer_employee_id, field="officer_employee_id"
        )
    clock = await region_clock(uow.session, region_id)
    issued: list[TicketRead] = []
    for _ in range(ticket_in.count):
        for _attempt in range(_TICKET_ATTEMPTS):
            code = generate_tracking_code()
            row = (
                await uow.session.execute(
                    insert(service_tickets)
                    .values(
                        region_id=region_id,
                        code=code,
                        unit_id=unit_id,
                        service_id=ticket_in.service_id or NO_SERVICE,
                        officer_employee_id=ticket_in.officer_employee_id,
                        issued_by=issued_by,
                    )
                    .on_conflict_do_nothing(index_elements=["region_id", "code"])
                    .returning(service_tickets.c.issued_at)
                )
            ).first()
            if row is not None:
                break
        else:  # pragma: no cover - 31**9 codes make five collisions in a row practically impossible
            raise Conflict(
                "ticket_code_exhausted",
                "Could not draw a free ticket code; try again.",
                "Tidak mendapat kode tiket yang bebas; coba lagi.",
            )
        issued.append(
            TicketRead(
                code=format_tracking_code(code),
                unit_id=unit_id,
                service_id=ticket_in.service_id,
                officer_employee_id=ticket_in.officer_employee_id,
                issued_at=clock.local(row.issued_at),
                valid_until=clock.local(row.issued_at + valid_for),
                qr_payload=qr_payload(
                    survey_url,
                    region_id=region_id,
                    unit_id=unit_id,
                    service_id=ticket_in.service_id,
                    code=code,
                ),
            )
        )
    TICKETS_ISSUED.inc(len(issued))
    return TicketBatchRead(tickets=issued)


async def _redeem_ticket(
    uow: UnitOfWork,
    *,
    region_id: str,
    unit_id: str,
    text: str,
    response_id: str,
    now: datetime,
    valid_for: timedelta,
) -> tuple[str, str | None]:
    """Use a ticket once; returns its service and officer. Exactly one of racing redemptions wins."""
    try:
        code = parse_tracking_code(text)
    except InvalidTrackingCodeError as error:
        TICKETS_REFUSED.labels("malformed").inc()
        raise Unprocessable(
            "invalid_ticket",
            "The ticket code is not valid; please check how it was typed.",
            "Kode tiket tidak valid; periksa kembali penulisannya.",
            field="ticket",
        ) from error
    # A conditional UPDATE is the single-use guard: a concurrent redemption waits for this row's
    # lock, then re-reads used_at and updates nothing.
    row = (
        await uow.session.execute(
            update(service_tickets)
            .where(
                service_tickets.c.region_id == region_id,
                service_tickets.c.code == code,
                service_tickets.c.used_at.is_(None),
                service_tickets.c.issued_at > now - valid_for,
            )
            .values(used_at=now, response_id=response_id)
            .returning(
                service_tickets.c.unit_id, service_tickets.c.service_id, service_tickets.c.officer_employee_id
            )
        )
    ).first()
    if row is None:
        known = (
            await uow.session.execute(
                select(service_tickets.c.used_at).where(
                    service_tickets.c.region_id == region_id, service_tickets.c.code == code
                )
            )
        ).first()
        if known is not None and known.used_at is not None:
            TICKETS_REFUSED.labels("used").inc()
            raise Conflict(
                "ticket_used",
                "This ticket has already been used for a response.",
                "Tiket ini sudah pernah digunakan untuk mengisi survei.",
                field="ticket",
            )
        if known is not None:
            TICKETS_REFUSED.labels("expired").inc()
            raise Conflict(
                "ticket_expired",
                f"This ticket is older than {valid_for.days} days and can no longer be used; "
                "you may still respond without it.",
                f"Tiket ini berumur lebih dari {valid_for.days} hari dan tidak dapat dipakai lagi; "
                "Anda tetap dapat mengisi survei tanpa tiket.",
                field="ticket",
            )
        TICKETS_REFUSED.labels("unknown").inc()
        raise NotFound(
            "unknown_ticket",
            "No such ticket in this region.",
            "Tiket tidak ditemukan di daerah ini.",
            field="ticket",
        )
    if row.unit_id != unit_id:
        TICKETS_REFUSED.labels("other_unit").inc()
        raise Unprocessable(
            "ticket_other_unit",
            "This ticket was issued by another unit.",
            "Tiket ini diterbitkan oleh unit layanan lain.",
            field="ticket",
        )
    return row.service_id, row.officer_employee_id


def _validated_response(response_in: SurveyResponseCreate) -> SurveyResponse:
    missing = [item.value for item in ServiceItem if item not in response_in.scores]
    if missing:
        raise Unprocessable(
            "missing_items",
            f"Every item must be scored; missing: {', '.join(missing)}.",
            f"Semua unsur harus dinilai; belum dinilai: {', '.join(missing)}.",
            field="scores",
        )
    try:
        return SurveyResponse.from_mapping(response_in.scores)
    except DomainError as error:
        raise as_api_error(error) from error


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
        ticket_service, officer = await _redeem_ticket(
            uow,
            region_id=region_id,
            unit_id=unit_id,
            text=response_in.ticket,
            response_id=response_id,
            now=now,
            valid_for=ticket_valid_for,
        )
        if response_in.service_id and response_in.service_id != ticket_service:
            raise Unprocessable(
                "ticket_other_service",
                "This ticket was issued for another service of the unit.",
                "Tiket ini diterbitkan untuk layanan lain pada unit ini.",
                field="service_id",
            )
        service_id = ticket_service
    kind = SurveyKind.PUBLIC_SERVICE
    if service_id:
        kind = SurveyKind((await _service_row(uow.session, region_id, unit_id, service_id)).survey_kind)
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
    await _add_to_aggregate(
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


def _aggregate_key(region_id: str, unit_id: str, service_id: str, period: str) -> tuple[Any, ...]:
    return (
        survey_aggregates.c.region_id == region_id,
        survey_aggregates.c.unit_id == unit_id,
        survey_aggregates.c.service_id == service_id,
        survey_aggregates.c.period == period,
    )


async def _locked_aggregate_row(
    uow: UnitOfWork, *, region_id: str, unit_id: str, service_id: str, period: str
) -> Any:
    await uow.session.execute(
        insert(survey_aggregates)
        .values(
            unit_id=unit_id,
            service_id=service_id,
            period=period,
            region_id=region_id,
            respondents=0,
            score_sums=[0] * len(ServiceItem),
        )
        .on_conflict_do_nothing(index_elements=["unit_id", "service_id", "period"])
    )
    # The row lock serialises concurrent responses to one unit, so no response is lost from the sums.
    return (
        await uow.session.execute(
            select(survey_aggregates)
            .where(*_aggregate_key(region_id, unit_id, service_id, period))
            .with_for_update()
        )
    ).one()


async def _add_to_aggregate(
    uow: UnitOfWork,
    *,
    region_id: str,
    unit_id: str,
    service_id: str,
    period: str,
    response: SurveyResponse,
    ticketed: bool,
) -> None:
    await lock_unit(uow, region_id, unit_id)
    current = await _locked_aggregate_row(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=period
    )
    every = SurveyAggregate(score_sums=tuple(current.score_sums), respondents=current.respondents).add(
        response
    )
    values: dict[str, Any] = {"respondents": every.respondents, "score_sums": list(every.score_sums)}
    if ticketed:
        with_ticket = SurveyAggregate(
            score_sums=tuple(current.ticketed_score_sums), respondents=current.ticketed_respondents
        ).add(response)
        values |= {
            "ticketed_respondents": with_ticket.respondents,
            "ticketed_score_sums": list(with_ticket.score_sums),
        }
    await uow.session.execute(
        update(survey_aggregates)
        .where(*_aggregate_key(region_id, unit_id, service_id, period))
        .values(**values)
    )


async def report_service_users(
    *, uow: UnitOfWork, principal: Principal, unit_id: str, report: ServiceUsersReport
) -> ServiceUsersRead:
    """Record how many citizens the unit served in a period; the sample adequacy follows from it."""
    region_id = principal.region
    if parse_period(report.period).is_year:
        raise Unprocessable(
            "period_is_year",
            "Service users are reported per period of the region (e.g. 2026-Q3); the year's are their sum.",
            "Jumlah pengguna layanan dilaporkan per periode daerah (mis. 2026-Q3); setahun adalah jumlahnya.",
            field="period",
        )
    await unit_name(uow.session, region_id, unit_id)
    if not principal.has(Role.REGION_ADMIN):
        reporter = (
            await find_employee(uow.session, region_id, principal.employee_id)
            if principal.employee_id
            else None
        )
        if reporter is None or reporter.unit_id != unit_id:
            raise Forbidden(
                "not_your_unit",
                "Only the unit's own staff or the region's administrators may report its service users.",
                "Hanya pegawai unit tersebut atau admin daerah yang dapat melaporkan "
                "jumlah pengguna layanannya.",
                field="unit_id",
            )
    service_id = report.service_id or NO_SERVICE
    if service_id:
        await _service_row(uow.session, region_id, unit_id, service_id)
    await lock_unit(uow, region_id, unit_id)
    current = await _locked_aggregate_row(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=report.period
    )
    await uow.session.execute(
        update(survey_aggregates)
        .where(*_aggregate_key(region_id, unit_id, service_id, report.period))
        .values(service_users=report.service_users)
    )
    recorded = ServiceUsersRead(
        unit_id=unit_id,
        service_id=service_id or None,
        period=report.period,
        service_users=report.service_users,
        index=None,
    )
    if current.respondents == 0:
        return recorded
    counted, _ = summed([current])
    await publish_index_changes(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=report.period
    )
    return recorded.model_copy(
        update={"index": index_read(unit_id, service_id, report.period, counted, report.service_users)}
    )


async def skm_report(
    *, session: AsyncSession, region_id: str, unit_id: str, period: str, service_id: str | None
) -> SkmReport:
    """The SKM report of one service of a unit, or of the whole unit (every response), for a period."""
    try:
        survey_period: SurveyPeriod = parse_period(period)
    except DomainError as error:
        raise as_api_error(error) from error
    name = await unit_name(session, region_id, unit_id)
    key = service_id or NO_SERVICE
    service_name = (await _service_row(session, region_id, unit_id, key)).name if key else None
    # The unit's report (no service asked) counts every response it received, as its index does.
    of_service = [survey_responses.c.service_id == key] if key else []
    responses: Sequence[Any] = (
        await session.execute(
            select(survey_responses)
            .where(
                survey_responses.c.region_id == region_id,
                survey_responses.c.unit_id == unit_id,
                *of_service,
                in_period(survey_responses.c.period, period),
            )
            .order_by(survey_responses.c.submitted_at, survey_responses.c.response_id)
        )
    ).all()
    if not responses:
        raise no_responses()
    aggregate_rows = await session.execute(
        select(survey_aggregates).where(
            survey_aggregates.c.region_id == region_id,
            survey_aggregates.c.unit_id == unit_id,
            *([survey_aggregates.c.service_id == key] if key else []),
            in_period(survey_aggregates.c.period, period),
        )
    )
    service_users = summed(aggregate_rows.all())[1]
    clock = await region_clock(session, region_id)
    return build_skm_report(
        unit_name=name,
        service_name=service_name,
        period=survey_period,
        rows=[
            RespondentRow(
                submitted_at=clock.local(row.submitted_at),
                scores=tuple(row.scores),
                age_band=row.age_band,
                sex=row.sex,
                education=row.education,
                occupation=row.occupation,
                comment=row.comment,
                ticketed=row.ticket_code is not None,
            )
            for row in responses
        ],
        service_users=service_users,
    )
