"""How ``kinerja simulate`` chooses its next request across the four services (no HTTP involved)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx

from kinerja.simulate import (
    AnsweredSurvey,
    Clients,
    Ledger,
    MixedLoad,
    Population,
    SimulatedEmployee,
    SimulatedUnit,
)


def population(tickets: int) -> Population:
    employee = SimulatedEmployee("r-e-1", "r", "medan", "front_office_clerk", "ind-1", {}, "u-1", {})
    unit = SimulatedUnit("r", "u-1", {}, [f"T{n}" for n in range(tickets)])
    return Population(regions=["r"], employees=[employee], units=[unit])


def load(tickets: int = 100, seed: int = 7) -> MixedLoad:
    http = httpx.AsyncClient()
    return MixedLoad(Clients(http, http, http, http), population(tickets), Ledger(), seed=seed)


def test_the_mix_reaches_every_kind_of_request_and_is_repeatable_with_a_seed() -> None:
    first, second = load(), load()
    first.to_verify.extend((first.population.employees[0], f"a{n}") for n in range(100))
    second.to_verify.extend((second.population.employees[0], f"a{n}") for n in range(100))
    drawn = [first.next_request()[0] for _ in range(300)]
    assert set(drawn) == {
        "activity",
        "activity batch",
        "verification",
        "survey",
        "complaint",
        "scorecard read",
    }
    assert drawn == [second.next_request()[0] for _ in range(300)]


def test_what_got_no_answer_is_sent_again_first_with_the_same_content() -> None:
    mixed = load()
    kind, _, what = mixed.next_request()
    mixed.resend.append((kind, 1, what))
    assert mixed.next_request() == (kind, 1, what)


def test_nothing_to_verify_or_no_ticket_left_turns_into_other_requests() -> None:
    mixed = load(tickets=0)
    drawn = Counter(mixed.next_request()[0] for _ in range(300))
    assert drawn["verification"] == 0
    assert drawn["survey"] == 0
    assert drawn["activity"] > 0
    assert drawn["complaint"] > 0


def test_the_ledger_round_trips_through_its_file(tmp_path: Path) -> None:
    ledger = Ledger()
    ledger.activity("a1", "r", "e", 3)
    ledger.surveys["s1"] = AnsweredSurvey("r", "u", "2026-Q4")
    ledger.answered["activity"] += 2
    ledger.write(tmp_path / "ledger.json")
    assert Ledger.read(tmp_path / "ledger.json") == ledger
