"""The scoring schema's metadata, the stamp columns of view rows, and the region settings."""

from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    String,
    Table,
    func,
)

from shared.db import ServiceTables, make_metadata

metadata = make_metadata()


def stamps() -> list[Column[Any]]:
    """The columns every view row records: the last event that changed it, and when."""
    return [
        Column("last_event_id", String(64)),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


# --- read models of other services' facts -------------------------------------------------------

region_settings = Table(
    "region_settings",
    metadata,
    Column("region_id", String(64), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("period_kind", String(16), nullable=False),
)
runtime_tables = ServiceTables(metadata, regions=region_settings)
