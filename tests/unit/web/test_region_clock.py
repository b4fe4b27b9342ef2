"""The pages' "now" is the region's, and WIB (the zone they show times in) for a person without one.

At 17.30 UTC on 31 December it is already 1 January in WIB: a person without a region must see
next year's plan and period then, as the pages' dates show, whatever the machine's own zone.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from services.web.entrypoints.employees.activities import _now
from services.web.entrypoints.employees.common import this_year
from services.web.entrypoints.raters.common import current_quarter
from services.web.periods import current_period


@pytest.mark.usefixtures("new_year_in_wib")
def test_without_a_region_the_year_is_wibs() -> None:
    assert this_year(None) == 2027


@pytest.mark.usefixtures("new_year_in_wib")
def test_without_a_region_the_period_is_wibs() -> None:
    assert current_period("quarterly", None) == "2027-Q1"
    assert current_period("quarterly", "Asia/Jayapura") == "2027-Q1"
    assert current_quarter(None) == "2027-Q1"  # a rating's default period


@pytest.mark.usefixtures("new_year_in_wib")
def test_the_forms_moment_falls_in_the_year_of_the_plan_it_counts_against() -> None:
    # Reporting reads an activity's year in the offset it was sent with.
    assert datetime.fromisoformat(_now(None)).year == this_year(None) == 2027
