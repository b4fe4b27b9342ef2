"""Row-level security: every region table is fenced in the database itself, not only in the queries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kinerja.services import SERVICE_NAMES, definition
from shared.db import restrict_to_region, see_all_regions
from shared.migrations import REGION_FREE_TABLES, REGION_POLICY, upgrade_to_head_async
from shared.settings import ServiceSettings
from tests.conftest import new_region_id

pytestmark = pytest.mark.usefixtures("infrastructure")


@pytest.fixture(scope="module")
async def migrated() -> None:
    for name in SERVICE_NAMES:
        service = definition(name)
        await upgrade_to_head_async(service.settings, service.migrations_dir)


@pytest.fixture
async def admin_engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(ServiceSettings().migration_database_url)
    yield engine
    await engine.dispose()


def engine_of(service: str) -> AsyncEngine:
    """Connected as the services connect: their own role, the service's schema."""
    settings = definition(service).settings
    return create_async_engine(
        settings.database_url, connect_args={"server_settings": {"search_path": settings.database_schema}}
    )


@pytest.fixture
async def service_engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    """Connected as the services connect: their own role, planning's schema."""
    engine = engine_of("planning")
    yield engine
    await engine.dispose()


async def tables_of(engine: AsyncEngine, schema: str) -> list[Any]:
    async with engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced, "
                "  EXISTS (SELECT 1 FROM information_schema.columns col WHERE col.table_schema = n.nspname "
                "          AND col.table_name = c.relname AND col.column_name = 'region_id') AS has_region, "
                "  EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = n.nspname "
                "          AND p.tablename = c.relname AND p.policyname = :policy) AS has_policy "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p')"
            ),
            {"schema": schema, "policy": REGION_POLICY},
        )
        return list(result)


@pytest.mark.parametrize("service_name", SERVICE_NAMES)
async def test_every_region_table_has_a_forced_region_policy(
    admin_engine: AsyncEngine, service_name: str
) -> None:
    schema = definition(service_name).settings.database_schema
    tables = await tables_of(admin_engine, schema)
    assert tables, f"{schema} has no tables"
    for table in tables:
        if table.name in REGION_FREE_TABLES:
            assert not table.has_region, (
                f"{schema}.{table.name} holds region data but is declared region-free"
            )
            continue
        assert table.has_region, f"{schema}.{table.name} holds no region_id: every table must say whose it is"
        assert table.enabled, f"{schema}.{table.name}: row-level security is not enabled"
        assert table.forced, f"{schema}.{table.name}: row-level security not forced (its owner bypasses it)"
        assert table.has_policy, f"{schema}.{table.name} has no {REGION_POLICY} policy"


async def test_services_connect_as_a_role_that_owns_nothing_and_cannot_bypass(
    service_engine: AsyncEngine,
) -> None:
    async with service_engine.connect() as connection:
        role = (
            await connection.execute(
                text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        owned = (
            await connection.execute(
                text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('planning', 'reporting', 'scoring', 'feedback') "
                    "AND pg_get_userbyid(c.relowner) = current_user"
                )
            )
        ).scalar_one()
    assert not role.rolsuper, f"{role.rolname} is a superuser and could read every region"
    assert not role.rolbypassrls, f"{role.rolname} bypasses row-level security"
    assert owned == 0


ALL = "*"
INSERT_AUDIT = "INSERT INTO audit_log (region_id, actor, action, subject) VALUES (:r, 'test', 'probe', 'x')"
COUNT_AUDIT = "SELECT count(*) FROM audit_log WHERE region_id = :r"


async def run_as(engine: AsyncEngine, region: str | None, sql: str, row_region: str) -> Any:
    """Run one statement in a transaction restricted to ``region`` (None: no region, ALL: system work)."""
    async with engine.begin() as connection:
        if region == ALL:
            await see_all_regions(connection)
        elif region is not None:
            await restrict_to_region(connection, region)
        result = await connection.execute(text(sql), {"r": row_region})
        return result.scalar_one() if result.returns_rows else None


async def test_a_transaction_sees_and_writes_only_its_own_region(service_engine: AsyncEngine) -> None:
    mine, theirs = new_region_id(), new_region_id()
    await run_as(service_engine, theirs, INSERT_AUDIT, theirs)
    await run_as(service_engine, mine, INSERT_AUDIT, mine)
    assert await run_as(service_engine, mine, COUNT_AUDIT, mine) == 1
    # Even a query that names the other region outright gets nothing.
    assert await run_as(service_engine, mine, COUNT_AUDIT, theirs) == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        await run_as(service_engine, mine, INSERT_AUDIT, theirs)


async def test_a_transaction_without_a_region_sees_nothing_and_writes_nothing(
    service_engine: AsyncEngine,
) -> None:
    region = new_region_id()
    await run_as(service_engine, region, INSERT_AUDIT, region)
    assert await run_as(service_engine, None, COUNT_AUDIT, region) == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        await run_as(service_engine, None, INSERT_AUDIT, region)
    assert await run_as(service_engine, ALL, COUNT_AUDIT, region) == 1


INSERT_ACTIVITY = (
    "INSERT INTO activities (activity_id, region_id, employee_id, plan_id, result_id, indicator_id, "
    "occurred_at, description, status) "
    "VALUES (gen_random_uuid()::text, :r, 'e', 'p', 'r', 'i', now(), 'd', 'submitted')"
)
COUNT_ACTIVITIES = "SELECT count(*) FROM activities WHERE region_id = :r"


async def test_an_activity_is_inserted_only_in_its_transactions_region_or_by_system_work(
    admin_engine: AsyncEngine,
) -> None:
    """Reporting's activities have a second policy, for inserts (reporting's 0027: the region read once
    a statement); it must admit no row the region policy refuses. PostgreSQL evaluates a table's
    permissive policies by name in descending order: the cheap one sorts last, to be tried first."""
    engine = engine_of("reporting")
    try:
        mine, theirs = new_region_id(), new_region_id()
        await run_as(engine, mine, INSERT_ACTIVITY, mine)
        await run_as(engine, ALL, INSERT_ACTIVITY, theirs)
        for region in (mine, None):
            with pytest.raises(DBAPIError, match="row-level security"):
                await run_as(engine, region, INSERT_ACTIVITY, theirs)
        assert await run_as(engine, ALL, COUNT_ACTIVITIES, mine) == 1
        assert await run_as(engine, ALL, COUNT_ACTIVITIES, theirs) == 1
    finally:
        await engine.dispose()
    async with admin_engine.connect() as connection:
        names = await connection.scalars(
            text(
                "SELECT polname FROM pg_policy WHERE polrelid = CAST('reporting.activities' AS regclass) "
                "ORDER BY polname DESC"
            )
        )
        assert list(names) == ["region_isolation_of_inserts", REGION_POLICY]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'x' WHERE region_id = :r", "DELETE FROM audit_log WHERE region_id = :r"],
)
async def test_the_audit_trail_is_append_only_for_services(
    service_engine: AsyncEngine, statement: str
) -> None:
    region = new_region_id()
    await run_as(service_engine, region, INSERT_AUDIT, region)
    with pytest.raises(DBAPIError, match="permission denied"):
        await run_as(service_engine, region, statement, region)


async def test_another_process_starting_changes_no_table_while_requests_hold_them(
    admin_engine: AsyncEngine,
) -> None:
    """A replica (re)starting while its twins serve finds the schema secured already: it must not
    take a table's exclusive lock to secure it again, which waited behind (and deadlocked with) the
    twins' requests in a rolling restart."""
    planning = definition("planning")
    async with admin_engine.connect() as busy:
        await busy.execute(text("LOCK TABLE planning.regions IN ROW EXCLUSIVE MODE"))  # as an INSERT does
        try:
            await asyncio.wait_for(
                upgrade_to_head_async(planning.settings, planning.migrations_dir), timeout=30
            )
        finally:
            await busy.rollback()
