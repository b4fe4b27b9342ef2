"""A unit dashboard's ranking is written from the rollup's entries as the validated answer writes it."""

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.service_layer.queries.dashboards import ranking_json, with_ranking
from services.scoring.service_layer.schemas import UnitDashboardRead

FIGURES: dict[str, Any] = {
    "unit_id": "u1",
    "region_id": "r1",
    "period": "2026-Q2",
    "unit_name": 'Bagian Umum \u00e9 "quoted"',
    "organisation_predicate": "BAIK",
    "employees": 3,
    "achievement_mean": Decimal("81.5000"),
    "predicates": [],
    "without_predicate": 1,
    "decided": 2,
    "distribution": None,
    "satisfaction": [],
    "complaint_breaches": 0,
    "complaint_breaches_by_stage": {},
    "trend": [],
    "ranking": [],
}

#: An achievement as the rollup's statement writes it: ``numeric(9, 4)::text``, or null.
achievements = st.one_of(
    st.none(),
    st.decimals(min_value=-99999, max_value=99999, places=4, allow_nan=False, allow_infinity=False).map(
        lambda value: f"{value:.4f}"
    ),
)

entries = st.fixed_dictionaries(
    {
        "rank": st.integers(min_value=1, max_value=100_000),
        "employee_id": st.text(max_size=20),
        "job_type": st.text(max_size=20),
        "rater_id": st.one_of(st.none(), st.text(max_size=10)),
        "predicate": st.one_of(
            st.none(), st.sampled_from(["SANGAT_BAIK", "BAIK", "KURANG"]), st.text(max_size=8)
        ),
        "achievement": achievements,
    }
)


@given(st.lists(entries, max_size=30))
def test_the_ranking_written_from_the_entries_is_the_validated_answer(ranked: list[dict[str, Any]]) -> None:
    validated = UnitDashboardRead.model_validate(FIGURES | {"ranking": ranked}).model_dump_json().encode()
    figures = UnitDashboardRead.model_validate(FIGURES)
    assert with_ranking(figures, ranking_json(ranked)) == validated
