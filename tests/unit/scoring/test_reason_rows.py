"""A proposal reason as a summary row stores it (its JSON, ASCII), remembered, is the same whoever asks."""

import json
from fractions import Fraction

from services.scoring.domain.rating import ProposalReason, ReasonCode
from services.scoring.service_layer.views.summaries import _reason_json
from services.scoring.service_layer.views.values import to_decimal
from shared.i18n import phrase_message


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


def test_a_reason_is_written_as_json_dumps_wrote_it() -> None:
    # The row's text is compared when a summary is stored again: the same reason must keep its bytes.
    for code in ReasonCode:
        for required, actual in ((None, None), (Fraction(9, 10), Fraction(1, 3)), (Fraction(1), None)):
            for satisfied in (True, False):
                reason = ProposalReason(code, required, actual, satisfied)
                message_en, message_id = (phrase_message(reason.explanation, lang) for lang in ("en", "id"))
                expected = {
                    "code": code.value,
                    "required": None if required is None else str(to_decimal(required)),
                    "actual": None if actual is None else str(to_decimal(actual)),
                    "satisfied": satisfied,
                    "message_en": message_en,
                    "message_id": message_id,
                }
                assert _reason_json(reason) == json.dumps(expected, separators=(",", ":"))
