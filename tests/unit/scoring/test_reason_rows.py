"""A proposal reason as a summary row stores it (its JSON, ASCII), remembered, is the same whoever asks."""

import json
from fractions import Fraction

from services.scoring.domain.rating import ProposalReason, ReasonCode
from services.scoring.service_layer.views.summaries import _reason_json


def test_a_remembered_reason_is_the_json_it_was() -> None:
    reason = ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), Fraction(1, 24), satisfied=False)
    first = _reason_json(reason)
    assert first.isascii()
    assert json.loads(first) == {
        "code": "MEETS_ACHIEVEMENT",
        "required": "0.9000",
        "actual": "0.0417",
        "satisfied": False,
        "message_en": "Achievement threshold for Meets: 0.04 (requires ≥ 0.90)",
        "message_id": "Ambang capaian Sesuai: 0.04 (syarat ≥ 0.90)",
    }
    same = ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), Fraction(1, 24), satisfied=False)
    assert _reason_json(same) is first
    other = _reason_json(ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), Fraction(1, 2), False))
    assert json.loads(other)["actual"] == "0.5000"
