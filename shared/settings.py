"""One settings class for every service: typed, read from the environment, failing fast when unsafe."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    """Where a process runs; production refuses development shortcuts."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class BrokerKind(StrEnum):
    """The broker behind the bootstrap servers: Apache Kafka, or Tansu (the embedded fallback)."""

    KAFKA = "kafka"
    TANSU = "tansu"


class ServiceSettings(BaseSettings):
    """Settings shared by the four services; each service subclasses it to set its name and port.

    Every field is read from ``KINERJA_<FIELD>`` (e.g. ``KINERJA_DATABASE_URL``), so the same
    variables drive the embedded default, testcontainers and real servers.
    """

    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore", frozen=True)

    service_name: str = "kinerja"
    environment: Environment = Environment.DEVELOPMENT
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    http_socket_fd: int | None = Field(
        default=None,
        ge=0,
        description=(
            "A listening socket the process inherits instead of binding the port itself, so several "
            "processes of one API serve one port, as uvicorn's workers do; `kinerja up` passes it."
        ),
    )
    trusted_proxy_addresses: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For and "
            'X-Forwarded-Proto are believed, as JSON (e.g. ["10.0.0.5"]). Empty: the socket peer is '
            "the client, and a forwarded header is ignored (rate limits and the audit trail rely on it)."
        ),
    )

    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/kinerja",
        description="SQLAlchemy URL of the PostgreSQL database (asyncpg driver).",
    )
    database_admin_url: str | None = Field(
        default=None,
        description=(
            "URL of the schema owner, used only to migrate. The service itself connects with "
            "database_url as a role that owns nothing, so row-level security binds it."
        ),
    )
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description=(
            "Longest a request waits for a free database connection before it is answered 503 "
            "(send again): past a burst, not longer than a field app waits for an answer."
        ),
    )
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="Replicas of every topic `kinerja topics` creates (3 on a cluster)."
    )
    kafka_broker: BrokerKind = Field(
        default=BrokerKind.KAFKA,
        description="Which broker serves the bootstrap servers: 'tansu' only for the embedded fallback.",
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="Longest wait to connect to Redis or for one reply."
    )
    data_dir: Path = Path(".kinerja")

    jwt_issuer: str = "kinerja-dev"
    jwt_audience: str = "kinerja"
    jwt_jwks_url: str | None = None
    jwt_public_key_path: Path | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)

    #: Rows the relay claims, sends and marks per transaction. Each batch waits for the broker's
    #: acknowledgements before the next is claimed, so its fixed costs (the claim's index scan, the
    #: lock, the metadata check, the broker's round trip, the commit) are paid per batch: 2,000
    #: halved the relay's and PostgreSQL's CPU per event against 500 (bench/README.md, issue #18).
    outbox_batch_size: int = Field(default=2000, ge=1, le=10_000)
    outbox_poll_interval_seconds: float = Field(default=0.05, gt=0)
    consumer_batch_size: int = Field(default=500, ge=1, le=10_000)
    #: How long the consumer holds a batch's first events back for more (ms): the broker answers a
    #: fetch once ``consumer_fetch_min_bytes`` came or this is over, and the runner tops a batch up
    #: for this long at most. 50 keeps the views fresh; a service whose effects nobody waits for
    #: (feedback's evidence) gathers for longer: fewer fetches and transactions per event.
    consumer_gather_ms: int = Field(default=50, ge=10, le=5000)
    consumer_fetch_min_bytes: int = Field(default=1, ge=1, le=1024 * 1024)

    earliest_date: date = Field(default=date(2000, 1, 1), description="The earliest date an API accepts.")
    latest_date_years_ahead: int = Field(
        default=10, ge=1, le=100, description="How many years after this one an API accepts dates for."
    )
    log_level: str = "INFO"
    log_json: bool = True

    schema_override: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="Work in another schema than the service's own (a replay rebuilds into a scratch one).",
    )

    @property
    def database_schema(self) -> str:
        """The PostgreSQL schema this service owns (one schema per service)."""
        return self.schema_override or self.service_name

    @property
    def kafka_idempotent_producer(self) -> bool:
        """Whether the relay's producer is idempotent: no duplicates or reordering from its retries
        within a partition. Tansu has no idempotent producers."""
        return self.kafka_broker is BrokerKind.KAFKA

    @property
    def migration_database_url(self) -> str:
        """The URL migrations connect with: the owner's when configured, else the service's own."""
        return self.database_admin_url or self.database_url

    @property
    def consumer_group(self) -> str:
        """The Kafka consumer group of this service's event consumer."""
        return f"kinerja-{self.service_name}"

    @property
    def dev_signing_key_path(self) -> Path:
        """Where ``kinerja token`` keeps the development signing key (development only)."""
        return self.data_dir / "dev-jwt" / "private.pem"

    @property
    def resolved_public_key_path(self) -> Path:
        """The verification key: configured, else the development key's public half."""
        return self.jwt_public_key_path or self.data_dir / "dev-jwt" / "public.pem"

    @model_validator(mode="after")
    def _refuse_development_shortcuts_in_production(self) -> ServiceSettings:
        if self.environment is Environment.PRODUCTION:
            if self.jwt_jwks_url is None and self.jwt_public_key_path is None:
                raise ValueError(
                    "production needs KINERJA_JWT_JWKS_URL or KINERJA_JWT_PUBLIC_KEY_PATH; "
                    "the development signing key is refused"
                )
            if self.jwt_public_key_path is not None and "dev-jwt" in self.jwt_public_key_path.parts:
                raise ValueError("production refuses the development signing key")
        return self


OwnSettings = TypeVar("OwnSettings", bound=ServiceSettings)


def own_settings(settings: ServiceSettings, kind: type[OwnSettings]) -> OwnSettings:
    """A service's settings as its own class: the runtime holds them as the shared base class."""
    if not isinstance(settings, kind):
        raise TypeError(
            f"the {settings.service_name} service runs with {type(settings).__name__}, not {kind.__name__}"
        )
    return settings
