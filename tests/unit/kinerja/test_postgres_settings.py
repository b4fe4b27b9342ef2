"""The embedded PostgreSQL's settings: ``make up``'s durable cluster checkpoints seldom."""

from __future__ import annotations

from kinerja.postgres import server_settings


def _settings(arguments: list[str]) -> dict[str, str]:
    assert arguments[::2] == ["-c"] * (len(arguments) // 2)
    return dict(setting.split("=", 1) for setting in arguments[1::2])


def test_a_durable_cluster_keeps_4_gb_of_wal_and_15_minutes_between_checkpoints():
    # At the default 1 GB the soak's stream checkpointed every ~3 minutes, back to back, and every
    # page changed after each checkpoint went to the WAL whole once more.
    settings = _settings(server_settings(durable=True))
    assert settings["max_wal_size"] == "4GB"
    assert settings["checkpoint_timeout"] == "15min"
    assert "fsync" not in settings
    assert "full_page_writes" not in settings


def test_every_cluster_creates_wal_segments_without_writing_them_whole():
    # Zero-filled, each new segment held every commit for 44-105 ms on the development VM's disk from
    # ~3 minutes into the soak on, and its p99 stepped up and stayed (bench/README.md, session 35).
    # The throwaway clusters take production's setting, so that the benchmarks measure what it runs.
    for durable in (True, False):
        assert _settings(server_settings(durable=durable))["wal_init_zero"] == "off"


def test_a_throwaway_cluster_skips_durability_and_every_cluster_analyzes_soon():
    durable, throwaway = _settings(server_settings(durable=True)), _settings(server_settings(durable=False))
    assert throwaway["fsync"] == throwaway["synchronous_commit"] == throwaway["full_page_writes"] == "off"
    assert durable["autovacuum_naptime"] == throwaway["autovacuum_naptime"] == "10s"
    assert "shared_preload_libraries" not in throwaway
    assert _settings(server_settings(durable=False, track_statements=True))["shared_preload_libraries"] == (
        "pg_stat_statements"
    )


def test_every_cluster_caches_1_gb_as_production_does():
    # At the default 128 MB the soak's services evicted dirty pages themselves, more every minute,
    # and the reads benchmark's scorecards read a fifth of their pages from the kernel: the
    # benchmarks measure the cache production runs.
    for durable in (True, False):
        assert _settings(server_settings(durable=durable))["shared_buffers"] == "1GB"
