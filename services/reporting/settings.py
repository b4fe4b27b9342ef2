"""Settings of the reporting service."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from shared.settings import Environment, ServiceSettings

MIB = 1024 * 1024


class ReportingSettings(ServiceSettings):
    """The shared settings with this service's name, port, evidence storage and feed options.

    Each field is read from ``KINERJA_<FIELD>``, e.g. ``KINERJA_EVIDENCE_STORAGE=s3``.
    """

    service_name: str = "reporting"
    http_port: int = 8002
    #: The busiest writer (the pool opens them all at start and no more: ``shared.db_pool.MAX_OVERFLOW``).
    #: Submissions hold at most a connection a region per writer of their queues (below, and one
    #: writer of single submissions); reads take the rest, and a burst beyond the pool waits for a
    #: connection (milliseconds) rather than warming another backend: each one first used grows by
    #: ~3.4 MB and keeps it. 10: the soaks' transactions open at once were 4 on average, 8-9 at the
    #: 99th percentile and 12 at most (500/s on a loaded machine, sampled), and about 10 were warm at
    #: the first minute's end at 1,000/s, where 20 warmed new backends for minutes (bench/README.md,
    #: session 22).
    database_pool_size: int = Field(default=10, ge=1)
    #: Groups of batch syncs written at once, each a transaction a region (group commit): batches
    #: that arrive meanwhile wait for the next group instead of taking a connection each.
    batch_writers: int = Field(default=2, ge=1, le=8)
    #: Items in a group of batch syncs (a batch holds up to 500; a larger one is a group of its own).
    #: Four full batches: PostgreSQL's cost an item is the same joined or not (bench/README.md,
    #: session 21), and a transaction's four round trips each wait for a turn of the event loop,
    #: behind the requests parsed meanwhile: fewer transactions, fewer turns and fixed costs an item
    #: (session 29, on a loaded machine: reporting's CPU an item -1.8 µs with 2,000, PostgreSQL's
    #: unchanged; two quiet rounds of the ingest bench did not separate 2,000 from 500).
    batch_group_items: int = Field(default=2000, ge=1, le=5000)

    clock_skew_seconds: int = Field(
        default=300, ge=0, le=3600, description="How far in the future a phone's clock may run."
    )

    evidence_storage: Literal["local", "s3"] = "local"
    evidence_dir: Path | None = Field(
        default=None, description="Local evidence store; default <data_dir>/reporting/evidence."
    )
    evidence_max_bytes: int = Field(default=8 * MIB, ge=1024, le=64 * MIB)
    evidence_per_activity: int = Field(default=10, ge=1, le=100)

    s3_endpoint_url: str | None = Field(
        default=None, description="e.g. https://s3.ap-southeast-3.amazonaws.com"
    )
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = "evidence/"
    s3_timeout_seconds: float = Field(default=30.0, gt=0)

    feed_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)

    @property
    def resolved_evidence_dir(self) -> Path:
        """Where the local evidence store keeps files."""
        return self.evidence_dir or self.data_dir / "reporting" / "evidence"

    @property
    def max_request_bytes(self) -> int:
        """The body limit: an evidence upload plus its multipart framing, and never below 4 MiB."""
        return max(4 * MIB, self.evidence_max_bytes + 64 * 1024)

    @model_validator(mode="after")
    def _s3_needs_its_coordinates(self) -> ReportingSettings:
        if self.environment is Environment.PRODUCTION and self.evidence_storage == "local":
            # A container's disk is lost when it is re-created and not shared by replicas.
            raise ValueError("production keeps evidence in object storage: set KINERJA_EVIDENCE_STORAGE=s3")
        if self.evidence_storage == "s3":
            missing = [
                name
                for name in ("s3_endpoint_url", "s3_bucket", "s3_access_key_id", "s3_secret_access_key")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(
                    "evidence_storage=s3 needs " + ", ".join(f"KINERJA_{m.upper()}" for m in missing)
                )
        return self
