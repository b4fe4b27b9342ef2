"""Pure rules used by the planning service layer: restoring stored history, reordering, field names."""

from __future__ import annotations

from datetime import date

import pytest

from services.planning.domain.organisation import JobType, Position, SupervisorTree
from services.planning.domain.work_plan import ResultKind, WorkPlan
from services.planning.service_layer.errors import api_field, in_api_terms
from shared.refusals import Refusal, RefusalKind
from tests.unit.planning.builders import approved_plan, employee, nip

CLERK = Position("Petugas Loket", JobType.FRONT_OFFICE_CLERK)


def test_restored_history_answers_who_supervised_whom_even_when_the_supervisor_started_later() -> None:
    tree = SupervisorTree("medan")
    head, clerk = employee(1), employee(2)
    # An imported snapshot: the clerk's assignment predates the head's own enrolment date.
    tree.restore(head, [(date(2025, 3, 1), "DISPU", Position("Kepala", JobType.STRUCTURAL_HEAD), None)])
    tree.restore(
        clerk,
        [
            (date(2025, 7, 1), "DISPU-U1", CLERK, None),
            (date(2025, 1, 2), "DISPU", CLERK, head.nip),
        ],
    )

    assert tree.supervisor_on(clerk.nip, date(2025, 2, 1)) == head
    assert tree.supervisor_on(clerk.nip, date(2025, 8, 1)) is None
    assert tree.unit_on(clerk.nip, date(2025, 8, 1)) == "DISPU-U1"
    assert tree.unit_on(clerk.nip, date(2025, 1, 1)) is None
    assert tree.direct_subordinates(head.nip, date(2025, 4, 1)) == (clerk,)


def test_a_restored_tree_still_refuses_a_new_cycle() -> None:
    tree = SupervisorTree("medan")
    head, clerk = employee(1), employee(2)
    tree.restore(head, [(date(2025, 1, 1), "DISPU", CLERK, None)])
    tree.restore(clerk, [(date(2025, 1, 1), "DISPU", CLERK, head.nip)])

    with pytest.raises(Exception, match="cycle"):
        tree.assign_supervisor(head.nip, clerk, date(2025, 6, 1))


def test_restoring_nothing_is_refused() -> None:
    with pytest.raises(Refusal):
        SupervisorTree("medan").restore(employee(1), [])


def test_head_is_read_as_the_structural_head_job_type() -> None:
    assert JobType.parse("head") is JobType.STRUCTURAL_HEAD


def test_results_are_reordered_only_as_a_permutation_by_the_employee_of_a_draft() -> None:
    owner, rater = nip(1), nip(2)
    plan = WorkPlan.start("skp-1", owner, rater, 2026)
    first = plan.add_result(owner, ResultKind.MAIN, "Dokumen selesai")
    second = plan.add_result(owner, ResultKind.ADDITIONAL, "Sosialisasi")

    plan.reorder_results(owner, [second.id, first.id])

    assert [r.id for r in plan.results] == [second.id, first.id]
    with pytest.raises(Refusal, match="exactly once"):
        plan.reorder_results(owner, [first.id])
    with pytest.raises(Refusal):
        plan.reorder_results(rater, [first.id, second.id])
    with pytest.raises(Refusal):
        approved_plan(owner, rater).reorder_results(owner, ["R1"])


@pytest.mark.parametrize(
    ("domain", "api"),
    [
        ("results[0].indicators[1].split.Q3", "results.0.indicators.1.period_targets.2026-Q3"),
        ("results[2].indicators[0].split", "results.2.indicators.0.period_targets"),
        ("results[0].indicators[0].target.unit", "results.0.indicators.0.unit_of_measure"),
        ("results[1].supports", "results.1.supports_result_id"),
        ("supervisor", "supervisor_id"),
        ("parent_code", "parent_unit_id"),
        ("rejection_reason", "reason"),
    ],
)
def test_domain_field_paths_become_the_request_fields_clients_send(domain: str, api: str) -> None:
    assert api_field(domain, year=2026) == api


def test_refusals_say_forbidden_conflict_or_invalid() -> None:
    owner, rater = nip(1), nip(2)
    plan = approved_plan(owner, rater)
    errors = []
    for action in (
        lambda: plan.approve(owner),
        lambda: plan.submit(owner),
        lambda: WorkPlan.start("x", owner, rater, 1990),
    ):
        with pytest.raises(Refusal) as refused:
            action()
        errors.append(in_api_terms(refused.value))
    assert [e.kind for e in errors] == [RefusalKind.FORBIDDEN, RefusalKind.CONFLICT, RefusalKind.INVALID]
    assert errors[2].field == "year"
