"""The embedded cluster is reached through its Unix-domain socket where a client can open it, else
over loopback TCP; either way an ordinary database URL (servers elsewhere keep their own)."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from kinerja import infra

PORT = 54329


@pytest.fixture
def short_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KINERJA_EMBEDDED_BROKER", "tansu")  # no Java looked for
    path = Path(tempfile.mkdtemp(prefix="k", dir="/tmp"))  # a socket's path is short
    yield path
    shutil.rmtree(path, ignore_errors=True)


def embedded(data_dir: Path) -> infra.EmbeddedInfrastructure:
    return infra.EmbeddedInfrastructure(data_dir, infra.EmbeddedPorts(postgres=PORT))


def listening(directory: Path, monkeypatch: pytest.MonkeyPatch) -> socket.socket:
    """A Unix-domain socket where PostgreSQL puts its own (``-k`` the cluster's directory), bound
    by its name from within (a path too long for a socket can be bound so, not connected to)."""
    directory.mkdir(parents=True)
    monkeypatch.chdir(directory)
    server = socket.socket(socket.AF_UNIX)
    server.bind(f".s.PGSQL.{PORT}")
    return server


def test_a_cluster_with_its_socket_is_reached_through_it(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with listening(short_dir / "postgres", monkeypatch):
        endpoints = embedded(short_dir).endpoints
    for url, user in (
        (endpoints.database_url, "kinerja_service"),
        (endpoints.database_admin_url, "postgres"),
    ):
        assert url is not None
        parsed = make_url(url)
        assert (parsed.drivername, parsed.username, parsed.host, parsed.database) == (
            "postgresql+asyncpg",
            user,
            None,
            "kinerja",
        )
        assert dict(parsed.query) == {"host": str((short_dir / "postgres").resolve()), "port": str(PORT)}


def test_without_its_socket_the_cluster_is_reached_over_loopback_tcp(short_dir: Path) -> None:
    url = make_url(embedded(short_dir).endpoints.database_url)
    assert (url.host, url.port, dict(url.query)) == ("127.0.0.1", PORT, {})


def test_a_socket_path_longer_than_a_socket_takes_falls_back_to_tcp(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = short_dir / ("d" * (infra.UNIX_SOCKET_PATH_MAX - len(str(short_dir)) - 10))
    with listening(deep / "postgres", monkeypatch):
        url = make_url(embedded(deep).endpoints.database_url)
    assert (url.host, url.port) == ("127.0.0.1", PORT)
