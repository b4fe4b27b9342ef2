"""Settings of the scoring service."""

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """The shared settings with this service's name and default port."""

    service_name: str = "scoring"
    http_port: int = 8003
