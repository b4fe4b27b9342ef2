"""Use cases of the citizen satisfaction survey (SKM): the one entry the API and complaints import.

- `unit_services`: the services a unit declares; `tickets`: issued and redeemed once;
- `responses`: a citizen's response; `aggregates`: the running sums and reported service users;
- `report`: the SKM report for a period.
"""

from services.feedback.service_layer.surveys.aggregates import report_service_users
from services.feedback.service_layer.surveys.report import skm_report
from services.feedback.service_layer.surveys.responses import pseudonymous_address, submit_survey_response
from services.feedback.service_layer.surveys.tickets import issue_tickets, qr_payload
from services.feedback.service_layer.surveys.unit_services import (
    declare_unit_service,
    list_unit_services,
    service_row,
)

__all__ = [
    "declare_unit_service",
    "issue_tickets",
    "list_unit_services",
    "pseudonymous_address",
    "qr_payload",
    "report_service_users",
    "service_row",
    "skm_report",
    "submit_survey_response",
]
