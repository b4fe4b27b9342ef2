"""The two dependencies every route body works in (``shared.route_work``), on a real database.

Audited work commits a change only together with its audit entry (the caller, the action, its target,
the client's address and the correlation id), discards work that recorded nothing or failed, and
lets the error handlers answer a commit PostgreSQL refuses; a region read sees the caller's region.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select, text

from shared.auth import Principal, Role
from shared.context import ServiceContext
from shared.contracts.planning import UnitUpserted
from shared.guarded_route import GuardedRoute
from shared.http import create_app
from shared.refusals import Refusal, RefusalKind
from shared.route_roles import require_roles
from shared.route_work import AfterCommit, RegionSession, RegionWork
from tests.conftest import auth, new_region_id

pytestmark = pytest.mark.integration

CLIENT = ("203.0.113.9", 50123)
CORRELATION_ID = "route-work-test-0001"


def work_app(context: ServiceContext, effects: list[str]) -> FastAPI:
    """Routes shaped as the services' are, around one planning event (a unit) per change."""
    router = APIRouter(prefix="/v1", route_class=GuardedRoute)
    admin = require_roles(Role.REGION_ADMIN)

    def unit_changed(principal: Principal, unit_id: str) -> UnitUpserted:
        return UnitUpserted(
            region_id=principal.region, unit_id=unit_id, code=unit_id, name="Unit", kind="opd"
        )

    def count_committed_events(principal: Principal) -> AfterCommit:
        async def count() -> None:
            _, events = await trail_and_events(context, principal.region)
            effects.append(f"events committed: {events}")

        return count

    @router.post("/units/{unit_id}", status_code=201)
    async def change(unit_id: str, work: RegionWork, principal: Principal = admin) -> dict[str, str]:
        work.uow.emit(unit_changed(principal, unit_id))
        work.record("unit.change", unit_id, detail="renamed")
        work.after_commit(count_committed_events(principal))
        return {"unit_id": unit_id}

    @router.post("/units/{unit_id}/unchanged")
    async def unchanged(unit_id: str, work: RegionWork, principal: Principal = admin) -> dict[str, str]:
        work.uow.emit(unit_changed(principal, unit_id))
        work.after_commit(count_committed_events(principal))
        return {"unit_id": unit_id}

    @router.post("/units/{unit_id}/refused")
    async def refused(unit_id: str, work: RegionWork, principal: Principal = admin) -> dict[str, str]:
        work.uow.emit(unit_changed(principal, unit_id))
        work.record("unit.change", unit_id)
        work.after_commit(count_committed_events(principal))
        raise Refusal("unit_locked", "The unit is locked.", kind=RefusalKind.CONFLICT)

    @router.post("/units/{unit_id}/unstorable")
    async def unstorable(unit_id: str, work: RegionWork, principal: Principal = admin) -> dict[str, str]:
        work.uow.emit(unit_changed(principal, unit_id))
        work.record("unit.change", unit_id, detail="NUL \x00 in the detail")
        work.after_commit(count_committed_events(principal))
        return {"unit_id": unit_id}

    @router.get("/region")
    async def read_region(session: RegionSession, _: Principal = admin) -> dict[str, Any]:
        return {"region": await session.scalar(text("SELECT current_setting('app.region_id', true)"))}

    app = create_app(title="route work", description="", routers=[router], readiness_checks={})
    app.state.context = context
    app.state.token_verifier = context.token_verifier
    return app


@pytest.fixture
async def service(start_service: Any) -> Any:
    return await start_service("planning")


@pytest.fixture
async def client(service: Any) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    effects: list[str] = []
    transport = httpx.ASGITransport(app=work_app(service.context, effects), client=CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, effects


async def trail_and_events(context: ServiceContext, region: str) -> tuple[list[dict[str, Any]], int]:
    audit_log, outbox = context.tables.audit_log, context.tables.outbox
    async with context.read_session(region) as session:
        entries = (await session.execute(select(audit_log))).mappings().all()
        events = await session.scalar(select(func.count()).select_from(outbox))
    return [dict(entry) for entry in entries], events or 0


async def test_audited_work_commits_the_change_with_its_audit_entry(service, client, make_token):
    http, effects = client
    region = new_region_id()
    headers = auth(make_token("region_admin", region=region, subject="hr-1")) | {
        "X-Correlation-Id": CORRELATION_ID
    }

    response = await http.post("/v1/units/u-1", headers=headers)

    assert (response.status_code, response.json()) == (201, {"unit_id": "u-1"})
    entries, events = await trail_and_events(service.context, region)
    assert [
        {key: entry[key] for key in ("region_id", "actor", "action", "subject", "detail", "client_address")}
        | {"correlation_id": entry["correlation_id"]}
        for entry in entries
    ] == [
        {
            "region_id": region,
            "actor": "hr-1",
            "action": "unit.change",
            "subject": "u-1",
            "detail": "renamed",
            "client_address": CLIENT[0],
            "correlation_id": CORRELATION_ID,
        }
    ]
    assert events == 1
    assert effects == ["events committed: 1"], "the effect runs after the commit, and sees it"


async def test_work_that_records_nothing_is_discarded(service, client, make_token):
    http, effects = client
    region = new_region_id()

    response = await http.post(
        "/v1/units/u-1/unchanged", headers=auth(make_token("region_admin", region=region))
    )

    assert response.status_code == 200
    assert await trail_and_events(service.context, region) == ([], 0)
    assert effects == []


async def test_a_refusal_of_the_use_case_discards_the_work_and_keeps_its_answer(service, client, make_token):
    http, effects = client
    region = new_region_id()

    response = await http.post(
        "/v1/units/u-1/refused", headers=auth(make_token("region_admin", region=region))
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "unit_locked"
    assert await trail_and_events(service.context, region) == ([], 0)
    assert effects == []


async def test_a_commit_postgresql_refuses_is_answered_by_the_error_handlers(service, client, make_token):
    # The audit entry is written at commit, after the route returned: the answer is still the error's.
    http, effects = client
    region = new_region_id()

    response = await http.post(
        "/v1/units/u-1/unstorable", headers=auth(make_token("region_admin", region=region))
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unstorable_value"
    assert await trail_and_events(service.context, region) == ([], 0)
    assert effects == []


async def test_a_region_read_sees_the_callers_region(client, make_token):
    http, _ = client
    region = new_region_id()

    response = await http.get("/v1/region", headers=auth(make_token("auditor,region_admin", region=region)))

    assert response.json() == {"region": region}


async def test_the_region_dependencies_refuse_a_token_without_a_region(client, make_token):
    http, _ = client

    work = await http.post("/v1/units/u-1", headers=auth(make_token("region_admin")))
    read = await http.get("/v1/region", headers=auth(make_token("region_admin")))

    assert (work.status_code, work.json()["error"]["code"]) == (403, "no_region")
    assert (read.status_code, read.json()["error"]["code"]) == (403, "no_region")


async def test_a_read_session_sees_its_region_and_ends_with_its_block(service):
    region = new_region_id()

    async with service.context.read_session(region) as session:
        seen = await session.scalar(text("SELECT current_setting('app.region_id', true)"))
        assert session.in_transaction()

    assert seen == region
    assert not session.in_transaction(), "the session is closed with its block"
