"""Settings of the feedback service."""

from pydantic import Field

from shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    """The shared settings with this service's name, default port and citizen-endpoint protections.

    Citizen endpoints need no account, so they are limited per client address and per device
    token (header ``X-Device-Token``) in fixed windows kept in Redis. Writes (a survey response,
    a complaint, a reopening) are limited more tightly than reads (tracking a complaint).
    """

    service_name: str = "feedback"
    http_port: int = 8004
    # An activity is kept as evidence for a rater's later feedback: a second's delay is nothing,
    # and each batch and fetch has a fixed cost (a fetch every few records at the live defaults:
    # 0.10-0.14 of a core, ~135 µs an activity, in a soak at 1,000/s). 64 KiB is ~100 activities.
    consumer_gather_ms: int = Field(default=1000, ge=10, le=5000)
    consumer_fetch_min_bytes: int = Field(default=64 * 1024, ge=1, le=1024 * 1024)

    public_rate_window_seconds: int = Field(default=60, ge=1, le=86_400)
    public_writes_per_address: int = Field(default=30, ge=1)
    public_writes_per_device: int = Field(default=10, ge=1)
    public_reads_per_address: int = Field(default=120, ge=1)
    public_reads_per_device: int = Field(default=60, ge=1)
    #: Survey responses without a ticket (a unit's public link) per unit and day, per address (an
    #: office or a school may share one) and per device.
    public_ticketless_per_address_per_day: int = Field(default=20, ge=1)
    public_ticketless_per_device_per_day: int = Field(default=3, ge=1)
    #: Largest body of a citizen request; a survey or complaint is far smaller.
    public_max_body_bytes: int = Field(default=16 * 1024, ge=1024)
    #: Largest photo a citizen may attach to a complaint (the web app resizes photos before upload).
    complaint_photo_max_bytes: int = Field(default=2 * 1024 * 1024, ge=16 * 1024, le=10 * 1024 * 1024)

    #: How long a printed service ticket may be redeemed: a rating should follow the service it rates.
    ticket_valid_days: int = Field(default=30, ge=1, le=366)
    #: The public address of the web app (``services/web``, read by it too): a printed ticket's QR
    #: code leads to its survey form, ``<web_public_url>/skm``.
    web_public_url: str = "http://127.0.0.1:8000"
    #: How often the complaint deadline scheduler looks at least; it wakes earlier for a nearer deadline.
    complaint_scan_interval_seconds: float = Field(default=10.0, gt=0)

    @property
    def citizen_survey_url(self) -> str:
        """Where a ticket's QR code leads: the web app's survey form."""
        return f"{self.web_public_url.rstrip('/')}/skm"
