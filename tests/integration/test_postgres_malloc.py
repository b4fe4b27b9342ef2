"""The embedded PostgreSQL's processes run with glibc's malloc thresholds fixed (kinerja/postgres.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from kinerja.postgres import MALLOC_THRESHOLDS
from kinerja.services import definition
from shared.db import create_engine


def postmaster_environment(backend: int) -> list[bytes]:
    """The environment of the server a backend was forked from (a backend's own is overwritten by
    its process title; glibc read it when the postmaster started, and a fork keeps its settings)."""
    postmaster = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1]
    return Path(f"/proc/{postmaster}/environ").read_bytes().split(b"\0")


async def test_a_server_process_has_the_malloc_thresholds(infrastructure: object) -> None:
    if infrastructure is None:
        pytest.skip("a server not started here (containers or an external one)")
    engine = create_engine(definition("reporting").settings)
    try:
        async with engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            environment = postmaster_environment(pid)
    finally:
        await engine.dispose()
    for name, value in MALLOC_THRESHOLDS.items():
        assert f"{name}={value}".encode() in environment
