"""The dashboards' cheaper arithmetic gives exactly what the domain's would."""

from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rewards import RewardCandidate, ranking_key
from services.scoring.service_layer.queries.common import current_predicate, mean, mean_of
from services.scoring.service_layer.queries.dashboards import ranking
from services.scoring.service_layer.views import to_decimal


class Summary(NamedTuple):
    employee_id: str
    unit_id: str
    job_type: str
    rater_id: str | None
    achievement: Decimal | None
    predicate: str | None
    proposed_predicate: str | None


achievements = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=Decimal("1.2"), places=4, allow_nan=False, allow_infinity=False),
)
predicates = st.one_of(st.none(), st.sampled_from([p.value for p in Predicate]))
summaries = st.builds(
    Summary,
    employee_id=st.text(alphabet="aeZ09-é", min_size=1, max_size=4),
    unit_id=st.just("u1"),
    job_type=st.sampled_from(["clerk", "analyst"]),
    rater_id=st.none(),
    achievement=achievements,
    predicate=predicates,
    proposed_predicate=predicates,
)


@given(st.lists(summaries, max_size=40, unique_by=lambda row: row.employee_id))
def test_ranking_orders_as_the_rewards_module(rows: list[Summary]) -> None:
    expected = sorted(
        rows,
        key=lambda row: ranking_key(
            RewardCandidate(
                row.employee_id,
                row.unit_id,
                row.job_type,
                "2026-Q1",
                current_predicate(row) or Predicate.SANGAT_KURANG,
                None if row.achievement is None else Fraction(row.achievement),
            )
        ),
    )
    ranked = ranking(list(rows), "2026-Q1")  # type: ignore[arg-type]
    assert [entry.employee_id for entry in ranked] == [row.employee_id for row in expected]
    assert [entry.rank for entry in ranked] == list(range(1, len(rows) + 1))


@given(
    st.lists(
        st.decimals(min_value=0, max_value=Decimal("9999"), places=4, allow_nan=False, allow_infinity=False),
        max_size=500,
    )
)
def test_means_are_the_exact_mean_rounded(values: list[Decimal]) -> None:
    exact = to_decimal(sum((Fraction(v) for v in values), Fraction(0)) / len(values)) if values else None
    assert mean(values) == exact
    assert mean_of(sum(values, Decimal(0)) if values else None, len(values)) == exact
