"""Consumer lag as the campaign and the soak judge settling by it (no broker involved)."""

from __future__ import annotations

from aiokafka import TopicPartition

from kinerja.chaos.backbone import group_lag


def test_a_group_past_the_end_a_broker_reports_hides_no_other_partitions_lag() -> None:
    # Tansu reports a multi-record batch's end as its first offset + 1, so a group that applied the
    # whole batch has committed past that end: no lag there, and none to subtract elsewhere.
    ends = {TopicPartition("reporting.activity.v1", 0): 10, TopicPartition("reporting.activity.v1", 1): 7}
    committed = {"reporting.activity.v1:0": 13, "reporting.activity.v1:1": 4}
    assert group_lag(ends, committed, {"reporting.activity.v1"}) == 3


def test_lag_counts_only_the_groups_topics_and_partitions_never_committed_from_their_start() -> None:
    ends = {TopicPartition("planning.region.v1", 0): 5, TopicPartition("feedback.survey.v1", 0): 9}
    assert group_lag(ends, {}, {"planning.region.v1"}) == 5
    assert group_lag(ends, {"planning.region.v1:0": 5}, {"planning.region.v1"}) == 0
