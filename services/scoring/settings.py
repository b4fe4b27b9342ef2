"""Settings of the scoring service."""

from pydantic import Field

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """The shared settings with this service's name and default port."""

    service_name: str = "scoring"
    http_port: int = 8003
    #: The consumer, the relay, the dated moves pass and a read or probe at once: the soaks never had
    #: more than 3 of its transactions open. Each connection the consumer has once used keeps its
    #: largest batch's freed heap (~8-10 MB), so connections beyond that need are memory waiting
    #: for a rare coincidence; reads hold one for a round trip (bench/README.md, session 22).
    database_pool_size: int = Field(default=4, ge=1)
    # Larger than the platform's default: a batch's fixed statements (and each touched employee's
    # summary, refreshed once per batch) are shared by more events while catching up or rebuilding;
    # a quiet stream still forms small batches (the runner tops a batch up only for a few ms).
    consumer_batch_size: int = Field(default=2000, ge=1, le=10_000)
    #: How often the dated moves pass looks at least; it wakes just after each region's midnight too.
    dated_moves_interval_seconds: float = Field(default=300.0, gt=0)
