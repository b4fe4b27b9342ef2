"""Accepting activity reports: every request's items judged and written in one transaction per group.

Submissions that arrive while another group is being written wait for the next group (group
commit): one transaction per region holds them all, and each request is answered only after that
transaction committed. Under load a group holds dozens of submissions, so the fixed cost of a
transaction (begin, region, look-ups, insert, commit) is paid once for all of them; a submission
that arrives alone is written at once, without waiting. Single submissions and batch syncs queue
apart, and a group of batches is bounded by its items.

Whatever the group, one statement reads the plan indicators and one writes the activities with
their outbox events and audit entries (adapters/intake_store.py: four round trips in all). If a
group's transaction fails, it is written again in halves, so one request's failure never fails
another's; if its connection was dropped (a database restart), it is written again on a fresh one.

This module judges and writes a group; ``intake_claims`` holds what a request claims and what
became of it, ``group_commit`` gathers submissions into groups, ``intake_values`` builds an accepted
activity's values, and ``submission_answers`` turns a request into a claim and the outcomes into its
answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

from services.reporting.adapters.intake_store import ConnectionLost, IntakeStore, IntakeTransaction, row_head
from services.reporting.adapters.live_feed import TeamNotices
from services.reporting.domain.activity import check_occurrence, check_quantity
from services.reporting.domain.resend import ACTIVITY_CONTENT, changed_resend, differing_fields
from services.reporting.metrics import ACTIVITIES_SUBMITTED
from services.reporting.service_layer.activities import UNKNOWN_INDICATOR, SubmissionRules
from services.reporting.service_layer.intake_claims import Claim, ClaimResult, ItemOutcome, Outcome
from services.reporting.service_layer.intake_values import (
    SUBMITTED,
    decimal_coordinates,
    feed_head,
    feed_json,
    own_as_answered,
    row_values,
    shown_around,
    time_text,
)
from services.reporting.service_layer.schemas import ActivityFields
from shared.observability import region_label
from shared.refusals import Refusal
from shared.region_time import as_sent as as_sent_with
from shared.region_time import in_zone, utc_offset_minutes
from shared.unit_of_work import audit_row

#: A candidate activity (the first valid item of its id in a group): the item, its employee, its
#: plan indicator and the device's offset in minutes, from which its values are built if read;
#: then its own fields as the feed shows them (``own_as_answered``), and the activity as the feed shows it
#: as JSON.
Candidate = tuple[ActivityFields, str, Any, int, dict[str, Any], bytes]
#: Queues a candidate for the insert (``IntakeTransaction.emitter``): its id, its row's head, its own
#: fields as the feed shows them, that activity's JSON and the device's offset in minutes as text.
Emit = Callable[[str, tuple[Any, ...], dict[str, Any], bytes, str], None]
#: A judged item: its index in its request, the item and its id, the rule it broke (or None), and
#: the candidate it carries (None if it carries none: refused, or a later item of its id).
Judged = tuple[int, ActivityFields, str, Refusal | None, Candidate | None]


async def write_group(
    transaction: IntakeTransaction, claims: Sequence[Claim], rules: SubmissionRules, zone: tzinfo
) -> list[ClaimResult]:
    """Judge and write every claim's items in an open transaction of one region (in ``zone``, whose
    calendar the plan year is read in and where the feed's notices show their times); the caller
    commits.

    An activity id already stored (or earlier in the group) is the employee's duplicate, changed
    when its content differs, or taken when it belongs to someone else; a retry of an accepted
    activity stays a duplicate even if the rules moved since.
    """
    region_id = transaction.region_id
    indicator_ids = {item["indicator_id"] for claim in claims for _, item in claim.items}
    indicators = {row["indicator_id"]: row for row in await transaction.indicators_among(list(indicator_ids))}

    # Judge; the first item of an id in the group is its candidate, a later one its duplicate.
    candidates: dict[str, Candidate] = {}
    # The group's submission time as the feed shows it (in the region's zone), written as JSON text
    # once: orjson wrote the zoned time into each item's JSON, ~1,360 instructions an item more.
    submitted_at = time_text(in_zone(rules.now, zone))
    audit_entries: list[dict[str, Any]] = []
    verdicts: list[list[Judged]] = []
    # An offset (a fixed one's zone object, or a timedelta) -> its minutes, the latest moment an item
    # may have happened in it (the rules' moment plus the clock skew), and its minutes as text (the
    # activity's JSON row's: ``IntakeTransaction.emitter``).
    moments: dict[tzinfo | timedelta | None, tuple[int, datetime, str]] = {}
    # An indicator id -> what its items share (``feed_head``'s fields): their row's head and their
    # JSON around each item's own (``shown_around``). One an indicator, not an item (a batch's 500
    # items share one or a few); one for all claims: an accepted item's indicator is its own
    # employee's, so the employee is the indicator's.
    heads: dict[str, tuple[tuple[Any, ...], tuple[bytes, bytes]]] = {}
    # The numbers found fine for an indicator: its id, a quantity and a denominator that
    # ``check_quantity`` refused nothing for. Its verdict depends on these alone (and the indicator's
    # rule), equal decimals alike, and a batch's items repeat a few small counts: calling it for
    # every item cost ~1,000 instructions an item more (callgrind, session 38).
    fine_numbers: set[tuple[str, Decimal | None, Decimal | None]] = set()
    now, clock_skew = rules.now, rules.clock_skew
    for claim in claims:
        judged: list[Judged] = []
        witnesses = []
        employee_id, correlation_id = claim.employee_id, claim.correlation_id
        emit: Emit | None = None  # the claim's emitter, made at its first candidate
        for index, sent in claim.items:
            # The item's validated fields by name: each attribute read of a pydantic model went
            # through its __getattr__ hook, about twice a dict's look-up.
            activity_id = sent["activity_id"]
            indicator = indicators.get(sent["indicator_id"])
            if indicator is not None and indicator["employee_id"] != employee_id:
                indicator = None
            # An item's time compared with the rules' moment in its own offset: two times of different
            # offsets compare through a subtraction (~4,400 instructions an item at +07:00).
            occurred_at = sent["occurred_at"]
            # A fixed offset (as every device time is read) is its own key: utcoffset() is a call by
            # name in CPython 3.11's datetime, ~1,400 instructions an item (callgrind, session 32).
            offset = sent_in if type(sent_in := occurred_at.tzinfo) is timezone else occurred_at.utcoffset()
            as_sent = moments.get(offset)
            if as_sent is None:
                minutes = utc_offset_minutes(occurred_at)
                latest = as_sent_with(now, minutes) + clock_skew
                as_sent = moments[offset] = (minutes, latest, str(minutes))
            # The first rule the item breaks, or None; judged here, not in a function of its own (a call
            # of five arguments cost ~600 instructions an item, callgrind, session 31).
            if indicator is None:
                refusal: Refusal | None = UNKNOWN_INDICATOR
            else:
                # The item's time against the latest moment in the offset it was sent with, and its
                # plan's year (read in the region's calendar, ``zone``). By name: the indicator's row
                # is untyped, and two times or two decimals swapped would pass unnoticed.
                refusal = check_occurrence(
                    occurred_at, latest=as_sent[1], plan_year=indicator["year"], zone=zone
                )
                if (
                    refusal is None
                    and (numbers := (sent["indicator_id"], sent["quantity"], sent["denominator"]))
                    not in fine_numbers
                ):
                    refusal = check_quantity(
                        quantity=numbers[1],
                        denominator=numbers[2],
                        aggregation=indicator["aggregation"],
                        qualitative=indicator["qualitative"],
                    )
                    if refusal is None:
                        fine_numbers.add(numbers)
            carried = None
            if refusal is None and activity_id not in candidates:
                assert indicator is not None  # not refused: the indicator was found
                head = heads.get(indicator_id := sent["indicator_id"])
                if head is None:
                    fields = feed_head(
                        sent,
                        region_id=region_id,
                        employee_id=employee_id,
                        indicator=indicator,
                        submitted_at=submitted_at,
                    )
                    head = heads[indicator_id] = (row_head(fields), shown_around(fields))
                own = own_as_answered(sent)
                # Written once: the feed's message and the event's payload (cut from it).
                payload_json = feed_json(activity_id, own, head[1])
                carried = candidates[activity_id] = (
                    sent,
                    employee_id,
                    indicator,
                    as_sent[0],
                    own,
                    payload_json,
                )
                if emit is None:
                    emit = transaction.emitter(employee_id, correlation_id, now)
                emit(activity_id, head[0], own, payload_json, as_sent[2])
                witnesses.append(activity_id)
            judged.append((index, sent, activity_id, refusal, carried))
        verdicts.append(judged)
        if witnesses:
            audit_entries.append(_audit_entry(claim, region_id, witnesses, judged))

    inserted: set[str] = set()
    if candidates:
        inserted = await transaction.insert(len(candidates), audit_entries, now)

    # Items not written here may be retries of activities stored before (or someone else's id).
    # When as many ids were inserted as there are items, each item's id was (they come from them).
    unresolved: set[str] = set()
    if len(inserted) < sum(len(judged) for judged in verdicts):
        unresolved = {activity_id for judged in verdicts for _, _, activity_id, _, _ in judged} - inserted
    stored: dict[str, dict[str, Any]] = {}
    if unresolved:
        stored = {row["activity_id"]: row for row in await transaction.activities_among(list(unresolved))}

    results: list[ClaimResult] = []
    # The metric's counts made as the outcomes are (a pass over them all cost ~975 instructions an
    # item); a batch's accepted items, most of them, counted apart.
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    accepted_in_batches = 0
    for claim, judged in zip(claims, verdicts, strict=True):
        result = ClaimResult()
        outcomes, submitted, batch = result.judged, result.submitted, claim.batch
        # The claim's notices, each rater's activities' JSON texts.
        to_raters: dict[str, list[bytes]] = {}
        for index, item, activity_id, refusal, carried in judged:
            # Accepted: this item carries its id's candidate, inserted (a later item of the id is not).
            accepted = carried is not None and activity_id in inserted
            if accepted and batch:
                # Most items: a batch answers its status alone (without _outcome's call of 11 arguments).
                submitted.append((index, activity_id))
            else:
                outcome = _outcome(
                    claim,
                    index,
                    item,
                    activity_id,
                    refusal,
                    carried,
                    candidates,
                    inserted,
                    stored,
                    region_id,
                    now,
                )
                counts[_COUNTED_AS[outcome.outcome]] += 1
                outcomes.append(outcome)
            if accepted:
                assert carried is not None  # accepted: it carries its id's candidate
                if (rater_id := carried[2]["rater_id"]) is not None:
                    shown = to_raters.get(rater_id)
                    if shown is None:
                        shown = to_raters[rater_id] = []
                    shown.append(carried[5])
        if to_raters:
            result.notices = [
                TeamNotices(region_id, rater_id, "activity.submitted", shown)
                for rater_id, shown in to_raters.items()
            ]
        results.append(result)
        accepted_in_batches += len(submitted)
    counts["accepted"] += accepted_in_batches
    _count(region_id, counts)
    return results


def _outcome(
    claim: Claim,
    index: int,
    item: ActivityFields,
    activity_id: str,
    refusal: Refusal | None,
    carried: Candidate | None,
    candidates: dict[str, Candidate],
    inserted: set[str],
    stored: dict[str, dict[str, Any]],
    region_id: str,
    now: datetime,
) -> ItemOutcome:
    """What became of one item, once the group's insert answered.

    ``carried``: the candidate this item carries, if its values were the ones inserted for its id
    (the first valid one in the group); another item of the same id is its duplicate (or taken, if
    someone else's).
    """
    # Compared and answered as ``ActivityCreate`` holds them (a batch item's coordinates are text).
    item = decimal_coordinates(item)
    if activity_id in inserted:
        inserted_item, employee_id, indicator, offset_minutes, _, _ = candidates[activity_id]
        inserted_item = decimal_coordinates(inserted_item)
        kind: Outcome = "accepted"
        if carried is None and refusal is not None:
            return ItemOutcome(index, activity_id, "rejected", refusal=refusal)
        if carried is None:
            kind = "duplicate" if employee_id == claim.employee_id else "taken"
            # The inserted values' content is the inserted item's.
            if kind == "duplicate" and (differing := differing_fields(item, inserted_item, ACTIVITY_CONTENT)):
                return ItemOutcome(
                    index, activity_id, "changed", refusal=changed_resend("activity", differing)
                )
        # The whole activity only where it is answered: a batch of 500 answers statuses.
        if claim.batch:
            return ItemOutcome(index, activity_id, kind, SUBMITTED)
        values = row_values(
            inserted_item,
            region_id=region_id,
            employee_id=employee_id,
            indicator=indicator,
            now=now,
            offset_minutes=offset_minutes,
        )
        return ItemOutcome(index, activity_id, kind, SUBMITTED, values)
    original = stored.get(activity_id)
    if original is not None:
        kind = "duplicate" if original["employee_id"] == claim.employee_id else "taken"
        if kind == "duplicate" and (differing := differing_fields(item, original, ACTIVITY_CONTENT)):
            return ItemOutcome(index, activity_id, "changed", refusal=changed_resend("activity", differing))
        return ItemOutcome(index, activity_id, kind, original["status"], original)
    if refusal is not None:
        return ItemOutcome(index, activity_id, "rejected", refusal=refusal)
    # Stored, but not visible here: the id belongs to another region.
    return ItemOutcome(index, activity_id, "taken")


def _audit_entry(
    claim: Claim, region_id: str, witnesses: list[str], judged: Sequence[Judged]
) -> dict[str, Any]:
    """The claim's audit entry, written only if one of its candidate activities is inserted."""
    if claim.batch:
        # Written with the activities, before duplicates of earlier requests are known.
        detail: str | None = f"items={len(judged) + claim.malformed} new_and_valid={len(witnesses)}"
        action, subject = "activity.submit_batch", claim.employee_id
    else:
        detail, action, subject = None, "activity.submit", witnesses[0]
    return audit_row(
        region_id=region_id,
        actor=claim.principal.subject,
        action=action,
        subject=subject,
        detail=detail,
        client_address=claim.client_address,
        correlation_id=claim.correlation_id,
    ) | {"witnesses": witnesses}


#: The metric's outcome of each item's: one taken or changed is rejected.
_COUNTED_AS: dict[Outcome, str] = {
    "accepted": "accepted",
    "duplicate": "duplicate",
    "rejected": "rejected",
    "taken": "rejected",
    "changed": "rejected",
}


def _count(region_id: str, counts: dict[str, int]) -> None:
    region = region_label(region_id)
    for kind, count in counts.items():
        if count:
            ACTIVITIES_SUBMITTED.labels(region, kind).inc(count)


#: Opens, fills and commits one transaction for one region's claims.
WriteGroup = Callable[[str, Sequence[Claim]], Awaitable[list[ClaimResult]]]

#: The zone a region's times are shown in.
ZoneOf = Callable[[str], Awaitable[tzinfo]]


def group_writer(store: IntakeStore, *, clock_skew_seconds: int, zone_of: ZoneOf) -> WriteGroup:
    """Writes a group in its own transaction, judged at the moment it is written."""

    async def write(region_id: str, claims: Sequence[Claim]) -> list[ClaimResult]:
        if not any(claim.items for claim in claims):
            return [ClaimResult() for _ in claims]  # a batch of malformed items only: nothing to write
        zone = await zone_of(region_id)
        try:
            return await write_once(region_id, claims, zone)
        except ConnectionLost:
            # A database restart dropped the pooled connection: once more, on a fresh one. Had the
            # first attempt committed after all, its activities now come back as duplicates.
            return await write_once(region_id, claims, zone)

    async def write_once(region_id: str, claims: Sequence[Claim], zone: tzinfo) -> list[ClaimResult]:
        rules = SubmissionRules.at_now(clock_skew_seconds)
        # A group of batches (more items than claims) is tried plainly: new but for resends. A group
        # of single submissions, resent one by one (2% in the simulator), would often hold one, and
        # skips stored ids at once (intake_store.IntakeTransaction.insert).
        plainly = sum(len(claim.items) for claim in claims) > len(claims)
        async with store.transaction(region_id, plainly=plainly) as transaction:
            return await write_group(transaction, claims, rules, zone)

    return write
