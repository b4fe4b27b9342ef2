"""Settings of the feedback service."""

from shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    """The shared settings with this service's name and default port."""

    service_name: str = "feedback"
    http_port: int = 8004
