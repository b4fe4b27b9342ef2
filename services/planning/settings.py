"""Settings of the planning service."""

from shared.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    """The shared settings with this service's name and default port."""

    service_name: str = "planning"
    http_port: int = 8001
