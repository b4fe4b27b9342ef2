"""Service tickets: issued with a receipt (and its QR code), redeemed once by the citizen's response."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from services.feedback.adapters.tables import (
    service_tickets,
)
from services.feedback.domain.tracking_code import (
    format_tracking_code,
    generate_tracking_code,
    parse_tracking_code,
)
from services.feedback.metrics import TICKETS_ISSUED, TICKETS_REFUSED
from services.feedback.service_layer.read_models import (
    region_clock,
    require_employee,
    unit_name,
)
from services.feedback.service_layer.satisfaction import (
    NO_SERVICE,
)
from services.feedback.service_layer.schemas import TicketBatchRead, TicketCreate, TicketRead
from services.feedback.service_layer.surveys.unit_services import service_row
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

_TICKET_ATTEMPTS = 5


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
        await service_row(uow.session, region_id, unit_id, ticket_in.service_id)
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
            raise Refusal(
                "ticket_code_exhausted",
                "Could not draw a free ticket code; try again.",
                kind=RefusalKind.CONFLICT,
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


async def redeem_ticket(
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
    except Refusal as error:
        TICKETS_REFUSED.labels("malformed").inc()
        raise Refusal(
            "invalid_ticket", "The ticket code is not valid; please check how it was typed.", field="ticket"
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
            raise Refusal(
                "ticket_used",
                "This ticket has already been used for a response.",
                field="ticket",
                kind=RefusalKind.CONFLICT,
            )
        if known is not None:
            TICKETS_REFUSED.labels("expired").inc()
            raise Refusal(
                "ticket_expired",
                "This ticket is older than %(days)s days and can no longer be used; "
                "you may still respond without it.",
                field="ticket",
                kind=RefusalKind.CONFLICT,
                params={"days": valid_for.days},
            )
        TICKETS_REFUSED.labels("unknown").inc()
        raise Refusal(
            "unknown_ticket", "No such ticket in this region.", field="ticket", kind=RefusalKind.NOT_FOUND
        )
    if row.unit_id != unit_id:
        TICKETS_REFUSED.labels("other_unit").inc()
        raise Refusal("ticket_other_unit", "This ticket was issued by another unit.", field="ticket")
    return row.service_id, row.officer_employee_id
