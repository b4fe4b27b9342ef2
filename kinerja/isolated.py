"""A platform of its own: PostgreSQL, Redis and a broker on free ports in a directory of its own,
and the service processes of ``kinerja up`` on them. The fault tests and ``kinerja chaos`` kill and
restart its parts; nothing here touches a running ``make up``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from kinerja import infra
from kinerja.platform import ServiceProcesses
from kinerja.postgres import remove_relocated_cluster
from shared.auth import Role, mint_dev_token
from shared.settings import ServiceSettings


class IsolatedPlatform:
    """PostgreSQL, Redis and a broker of its own, and service processes on them."""

    def __init__(
        self,
        data_dir: Path,
        services: Iterable[str],
        *,
        replicas: int = 1,
        durable: bool = False,
        track_statements: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.infrastructure = infra.EmbeddedInfrastructure(
            data_dir / "infra",
            infra.EmbeddedPorts.random(),
            durable=durable,
            track_statements=track_statements,
        )
        self.endpoints = self.infrastructure.start()
        self.services = ServiceProcesses(
            self.endpoints,
            data_dir,
            ports={name: infra.free_port() for name in services},
            replicas=replicas,
        )
        self.settings = ServiceSettings(
            data_dir=data_dir,
            database_url=self.endpoints.database_url,
            database_admin_url=self.endpoints.database_admin_url,
            kafka_bootstrap_servers=self.endpoints.kafka_bootstrap_servers,
        )

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.services.ports[service]}{path}"

    def token(self, roles: str, region: str | None = None, employee: str | None = None) -> str:
        return mint_dev_token(
            self.settings,
            subject=employee or roles,
            roles=[Role(role) for role in roles.split(",")],
            region_id=region,
            employee_id=employee,
        )

    def start(self, *names: str, timeout: float = 90) -> None:
        """Start the processes not running yet (``scoring``, ``scoring.2``, ...), wait until all are ready."""
        for name in names:
            running = self.services.processes.get(name)
            if running is None or running.poll() is not None:
                self.services.start(name)
        self.services.wait_healthy(timeout=timeout)

    def stop(self) -> None:
        """Stop every service, then the servers."""
        self.services.stop_all()
        self.infrastructure.stop()

    def remove(self) -> None:
        """Delete the stopped platform's data, PostgreSQL's cluster too where it had to live elsewhere
        (as root; a durable cluster is kept by ``stop``)."""
        remove_data(self.data_dir)


def remove_data(data_dir: Path) -> None:
    """Delete an isolated platform's directory and the PostgreSQL cluster it links to, if any."""
    remove_relocated_cluster(data_dir / "infra" / "postgres")
    shutil.rmtree(data_dir, ignore_errors=True)
