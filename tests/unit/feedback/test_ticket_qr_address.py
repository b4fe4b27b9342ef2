"""A ticket's QR code leads to the configured web app's survey form, not to a fixed placeholder."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from services.feedback.service_layer.surveys import qr_payload
from services.feedback.settings import FeedbackSettings


def test_the_qr_payload_is_the_web_apps_survey_address_with_the_ticket() -> None:
    settings = FeedbackSettings(web_public_url="https://layanan.wanggar.go.id/")
    payload = qr_payload(
        settings.citizen_survey_url, region_id="wanggar", unit_id="u-1", service_id="ktp", code="7KQ3MXR8T2"
    )
    address = urlsplit(payload)
    assert f"{address.scheme}://{address.netloc}{address.path}" == "https://layanan.wanggar.go.id/skm"
    assert parse_qs(address.query) == {
        "region": ["wanggar"],
        "unit": ["u-1"],
        "ticket": ["7KQ3MXR8T2"],
        "service": ["ktp"],
    }
