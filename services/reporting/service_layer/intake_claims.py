"""What a submission brings to the intake and what becomes of it: a request's well-formed items from
one employee (``Claim``), each item's outcome (``ItemOutcome``) and the claim's (``ClaimResult``).

``submission_answers`` makes a claim of a request and its answer of the outcomes; ``group_commit``
queues claims into groups; ``intake`` judges and writes a group's claims.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from services.reporting.adapters.live_feed import TeamNotices
from services.reporting.service_layer.intake_values import SUBMITTED
from services.reporting.service_layer.schemas import ActivityFields
from shared.auth import Principal
from shared.observability import correlation_id_var
from shared.refusals import Refusal

Outcome = Literal["accepted", "duplicate", "changed", "taken", "rejected"]


# Claims, outcomes and feed notices are made per request and per item and never changed: not
# frozen, since a frozen dataclass's __init__ sets each field through object.__setattr__, about ten
# times the cost of a plain one (3 µs against 0.3 an outcome; bench/README.md, session 14).
@dataclass(slots=True)
class Claim:
    """One request's well-formed items (with their index in the request), from one employee: each
    item's validated fields (an ``ActivityCreate``'s ``__dict__``, or a batch's item read into a dict)."""

    principal: Principal
    employee_id: str
    items: Sequence[tuple[int, ActivityFields]]
    client_address: str | None
    batch: bool = False
    #: Items of the request refused before judging (malformed), for the audit entry.
    malformed: int = 0
    #: The request's correlation id: the group is written outside the request's context.
    correlation_id: str | None = field(default_factory=correlation_id_var.get)


@dataclass(slots=True)
class ItemOutcome:
    """What became of one item: the activity as stored (accepted, or the original of a duplicate)."""

    index: int
    activity_id: str
    outcome: Outcome
    status: str | None = None
    #: The whole activity as stored, for single submissions (a batch answers its status): the values
    #: just inserted, or the stored original's row (``activities.activity_json`` answers either).
    activity: Mapping[str, Any] | None = None
    refusal: Refusal | None = None


@dataclass(slots=True)
class ClaimResult:
    """What became of a claim's items, and what its activities show in the raters' feeds."""

    #: What became of each item but those of ``submitted``, in request order.
    judged: list[ItemOutcome] = field(default_factory=list)
    #: Its accepted activities' notices: one a rater (a batch's items share one).
    notices: list[TeamNotices] = field(default_factory=list)
    #: A batch's items accepted as submitted (most of them), as their index and id, in request
    #: order: what its answer shows of them (``batch_answer``). An ``ItemOutcome`` each, made and
    #: read again for the answer, cost ~2,700 instructions an item more (callgrind, session 34).
    submitted: list[tuple[int, str]] = field(default_factory=list)

    @property
    def outcomes(self) -> list[ItemOutcome]:
        """What became of each item, in request order."""
        if not self.submitted:
            return self.judged
        accepted = [
            ItemOutcome(index, activity_id, "accepted", SUBMITTED) for index, activity_id in self.submitted
        ]
        return sorted(self.judged + accepted, key=_INDEX)


_INDEX = operator.attrgetter("index")
