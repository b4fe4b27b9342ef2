"""The simulator and the demo loader take "this year" from the region's calendar, as its pages do.

At 17.30 UTC on 31 December it is already 00.30 on 1 January in WIB (02.30 in WIT): a region's plans
are then of the new year, and its activities happen in it in the offset they are sent with (reporting
reads an activity's year there, scoring files it by the region's day), whatever the machine's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from kinerja.demo import _earlier_this_year
from kinerja.simulate import (
    ActivityFactory,
    Clients,
    Ledger,
    MixedLoad,
    Population,
    SimulatedEmployee,
    TokenMint,
    build_population,
)
from shared.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("new_year_in_wib")  # tests/unit/conftest.py


def _employee(region_key: str) -> SimulatedEmployee:
    return SimulatedEmployee("r-e-1", "r", region_key, "front_office_clerk", "ind-1", {}, "u-1")


async def test_the_simulated_plans_are_of_the_regions_year(tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []

    def planning(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content) if request.content else {}
        bodies.append(body)
        indicator = {"indicator_id": "ind-1"}
        return httpx.Response(
            200, json={"unit_id": "u-1", "plan_id": "p-1", "results": [{"indicators": [indicator]}]}
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(planning), base_url="http://simulated")
    mint = TokenMint(ServiceSettings(data_dir=tmp_path))
    await build_population(http, mint, employees=1, regions=1)

    assert {body["year"] for body in bodies if "year" in body} == {2027}
    assert {body["effective_from"] for body in bodies if "effective_from" in body} == {"2027-01-01"}


@pytest.mark.parametrize(
    ("region_key", "offset"), [("medan", timedelta(hours=7)), ("wanggar", timedelta(hours=9))]
)
def test_a_simulated_activity_happens_in_the_regions_year_in_its_offset(
    region_key: str, offset: timedelta
) -> None:
    factory = ActivityFactory(Population(["r"], [_employee(region_key)]), duplicate_ratio=0.0, seed=7)
    for _ in range(20):
        occurred = datetime.fromisoformat(factory.activity(_employee(region_key))["occurred_at"])
        assert occurred.utcoffset() == offset
        assert occurred.year == 2027


async def test_the_simulated_scorecard_read_asks_for_the_regions_year() -> None:
    sent: list[httpx.Request] = []

    def scoring(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(scoring), base_url="http://simulated")
    employee = _employee("medan")
    load = MixedLoad(Clients(http, http, http, http), Population(["r"], [employee]), Ledger(), seed=7)
    await load.send(("scorecard read", 0, employee), scheduled=0.0)

    assert [request.url.params["period"] for request in sent] == ["2027"]


def test_a_demo_activity_happens_in_the_regions_year_in_its_offset() -> None:
    occurred = _earlier_this_year(timedelta(minutes=10), "Asia/Jakarta")
    assert (occurred.year, occurred.utcoffset()) == (2027, timedelta(hours=7))
