"""A proposal reason as a summary row stores it, remembered, is the same whoever asks and stays unshared."""

from fractions import Fraction

from services.scoring.domain.rating import ProposalReason, ReasonCode
from services.scoring.service_layer.views.summaries import _reason_json


def test_a_remembered_reason_is_the_row_it_was_and_a_copy() -> None:
    reason = ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), Fraction(1, 24), satisfied=False)
    first = _reason_json(reason)
    assert first == {
        "code": "MEETS_ACHIEVEMENT",
        "required": "0.9000",
        "actual": "0.0417",
        "satisfied": False,
        "message_en": "Achievement threshold for Meets: 0.04 (requires ≥ 0.90)",
        "message_id": "Ambang capaian Sesuai: 0.04 (syarat ≥ 0.90)",
    }
    first["actual"] = "changed"
    same = ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), Fraction(1, 24), satisfied=False)
    again = _reason_json(same)
    assert again["actual"] == "0.0417"
    other = _reason_json(ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), Fraction(1, 2), False))
    assert other["actual"] == "0.5000"
