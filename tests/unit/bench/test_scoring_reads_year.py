"""The reads' bench fills the views for the year scoring's pages default to: the regions' year.

At 17.30 UTC on 31 December it is already 1 January in WIB, the zone the fill registers its regions
in: a year taken from UTC filled last year's views while the pages asked for this one's.
"""

from __future__ import annotations

import argparse

import pytest

from bench.scoring_reads import scale_of


@pytest.mark.usefixtures("new_year_in_wib")
def test_the_views_are_filled_for_the_regions_year_not_utcs() -> None:
    scale = scale_of(argparse.Namespace(employees=10, activities=100, regions=2))
    assert scale.year == 2027
    assert scale.quarters[0] == "2027-Q1"
