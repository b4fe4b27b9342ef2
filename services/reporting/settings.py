"""Settings of the reporting service."""

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """The shared settings with this service's name and default port."""

    service_name: str = "reporting"
    http_port: int = 8002
