"""The soak names PostgreSQL's processes that ``pg_stat_activity`` did not list by their titles:
what came and went at a window's end (a step in the server's memory) is told apart."""

from __future__ import annotations

from bench._soak_postgres import NEW_CLIENT, kind_of_title, title_kind


def test_autovacuum_and_parallel_workers_are_told_by_their_title() -> None:
    assert title_kind("postgres: autovacuum worker kinerja") == "autovacuum worker"
    assert title_kind("postgres: parallel worker for PID 4242") == "parallel worker"
    assert title_kind("postgres: kinerja_service kinerja 127.0.0.1(51234) idle") is None
    assert title_kind("postgres: checkpointer") is None
    assert title_kind("postgres: autovacuum launcher") is None


def test_a_process_started_since_the_activity_view_was_read_is_named_by_its_title() -> None:
    assert kind_of_title("postgres: kinerja_service kinerja 127.0.0.1(51234) idle") == NEW_CLIENT
    assert kind_of_title("postgres: kinerja_service kinerja 127.0.0.1(51234) authentication") == NEW_CLIENT
    assert kind_of_title("postgres: autovacuum worker kinerja") == "autovacuum worker"
    assert kind_of_title("postgres: logger") == "other"
