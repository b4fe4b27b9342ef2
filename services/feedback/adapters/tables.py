"""Tables of the feedback service (schema ``feedback``)."""

from sqlalchemy import ARRAY, Column, DateTime, Integer, String, Table, Text, func

from shared.db import make_metadata
from shared.runtime import ServiceTables

metadata = make_metadata()
runtime_tables = ServiceTables(metadata)

#: Read model of units (from planning), so citizens can only rate units that exist.
units = Table(
    "units",
    metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("region_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
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
)
