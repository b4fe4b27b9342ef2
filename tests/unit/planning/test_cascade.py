"""The cascade view of approved plans and its gaps."""

from __future__ import annotations

from datetime import date

from services.planning.domain.cascade import build_cascade
from services.planning.domain.organisation import JobType, Position, SupervisorTree
from services.planning.domain.work_plan import ResultKind, ResultRef, WorkPlan
from tests.unit.planning.builders import approved_plan, documents_indicator, employee, nip, submitted_plan

ON = date(2025, 3, 1)
HEAD, SECTION_A, SECTION_B, CLERK_A1, CLERK_A2, CLERK_B1 = (nip(n) for n in (1, 2, 3, 4, 5, 6))


def _tree() -> SupervisorTree:
    """Head 1 supervises sections 2 and 3; 2 supervises clerks 4 and 5; 3 supervises clerk 6."""
    tree = SupervisorTree("medan")
    position = Position("Pelaksana", JobType.GENERAL_STAFF)
    tree.enrol(employee(1), effective_from=date(2025, 1, 1), unit_code="DISDUKCAPIL", position=position)
    for sub, boss in ((2, 1), (3, 1), (4, 2), (5, 2), (6, 3)):
        tree.enrol(
            employee(sub),
            effective_from=date(2025, 1, 1),
            unit_code="DISDUKCAPIL",
            position=position,
            supervisor=employee(boss),
        )
    return tree


def _plan(
    owner_seq: int, rater_seq: int, texts: list[str], supports: list[tuple[WorkPlan, str] | None]
) -> WorkPlan:
    owner, rater = nip(owner_seq), nip(rater_seq)
    plan = WorkPlan.start(f"skp-{owner_seq}", owner, rater, 2025)
    for text, link in zip(texts, supports, strict=True):
        result = plan.add_result(owner, ResultKind.MAIN, text)
        plan.add_indicator(owner, result.id, documents_indicator())
        if link is not None:
            plan.link_result(owner, result.id, link[0], link[1])
    plan.submit(owner)
    plan.approve(rater)
    return plan


def _region_plans() -> list[WorkPlan]:
    head = _plan(1, 99, ["Layanan adminduk cepat", "Cakupan KTP-el 98%"], [None, None])
    section_a = _plan(2, 1, ["Dokumen selesai tepat waktu"], [(head, "R1")])
    section_b = _plan(3, 1, ["Antrian terkelola"], [(head, "R1")])
    clerk_a1 = _plan(4, 2, ["Berkas diverifikasi"], [(section_a, "R1")])
    return [head, section_a, section_b, clerk_a1]


def test_the_cascade_runs_from_the_head_down_to_each_employee() -> None:
    view = build_cascade(_region_plans(), _tree(), year=2025, on=ON)

    assert [root.ref for root in view.roots] == [ResultRef(HEAD, 2025, "R1"), ResultRef(HEAD, 2025, "R2")]
    first = view.roots[0]
    assert [child.owner for child in first.children] == [SECTION_A, SECTION_B]
    assert [grandchild.owner for grandchild in first.children[0].children] == [CLERK_A1]
    assert [node.owner for node in first.walk()] == [HEAD, SECTION_A, CLERK_A1, SECTION_B]


def test_a_supervisors_result_no_subordinate_supports_is_a_gap() -> None:
    view = build_cascade(_region_plans(), _tree(), year=2025, on=ON)

    gaps = {(gap.owner, gap.result.id): gap for gap in view.gaps}
    assert set(gaps) == {(HEAD, "R2"), (SECTION_B, "R1")}
    assert gaps[(SECTION_B, "R1")].subordinates_without_approved_plan == (CLERK_B1,)
    assert gaps[(HEAD, "R2")].subordinates_without_approved_plan == ()


def test_results_of_employees_without_subordinates_are_never_gaps() -> None:
    view = build_cascade(_region_plans(), _tree(), year=2025, on=ON)
    assert all(gap.owner != CLERK_A1 for gap in view.gaps)


def test_an_additional_result_needs_no_support() -> None:
    head = WorkPlan.start("skp-head", HEAD, nip(99), 2025)
    main = head.add_result(HEAD, ResultKind.MAIN, "Layanan adminduk cepat")
    extra = head.add_result(HEAD, ResultKind.ADDITIONAL, "Narasumber kegiatan provinsi")
    for result in (main, extra):
        head.add_indicator(HEAD, result.id, documents_indicator())
    head.submit(HEAD)
    head.approve(nip(99))

    view = build_cascade([head], _tree(), year=2025, on=ON)

    assert [gap.result.id for gap in view.gaps] == ["R1"]
    assert set(view.gaps[0].subordinates_without_approved_plan) == {SECTION_A, SECTION_B}


def test_a_result_below_the_top_that_supports_nothing_is_listed_as_unlinked() -> None:
    plans = [*_region_plans(), _plan(5, 2, ["Arsip tertata"], [None])]
    view = build_cascade(plans, _tree(), year=2025, on=ON)
    assert view.unlinked == (ResultRef(CLERK_A2, 2025, "R1"),)


def test_a_link_to_a_result_missing_from_the_given_plans_is_listed_as_dangling() -> None:
    head, section_a, *_ = _region_plans()
    view = build_cascade([section_a], _tree(), year=2025, on=ON)
    assert view.dangling == ()
    assert [root.owner for root in view.roots] == [SECTION_A]

    clerk = _plan(4, 2, ["Berkas diverifikasi"], [(section_a, "R1")])
    view = build_cascade([head, clerk], _tree(), year=2025, on=ON)
    assert view.dangling == (ResultRef(CLERK_A1, 2025, "R1"),)


def test_plans_that_are_not_approved_or_of_another_year_are_ignored() -> None:
    plans = [*_region_plans(), submitted_plan(CLERK_B1, SECTION_B, plan_id="skp-6")]
    plans.append(approved_plan(CLERK_A2, SECTION_A, plan_id="skp-5-2024", year=2024))

    view = build_cascade(plans, _tree(), year=2025, on=ON)

    owners = {node.owner for root in view.roots for node in root.walk()}
    assert CLERK_B1 not in owners
    assert CLERK_A2 not in owners


def test_the_latest_approved_version_of_a_plan_counts() -> None:
    plans = _region_plans()
    section_b = plans[2]
    revision = section_b.revise(SECTION_B, "skp-3-v2")
    revision.edit_result(SECTION_B, "R1", text="Antrian terkelola dan waktu tunggu turun")
    revision.submit(SECTION_B)
    revision.approve(HEAD)

    view = build_cascade([*plans, revision], _tree(), year=2025, on=ON)

    texts = [node.result.text for node in view.roots[0].walk() if node.owner == SECTION_B]
    assert texts == ["Antrian terkelola dan waktu tunggu turun"]
