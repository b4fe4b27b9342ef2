"""Prometheus' own tools for the tests: Debian's ``prometheus`` package, installed when missing.

``promtool`` checks metrics and rules and runs the rules' unit tests; the ``prometheus`` server
scrapes the services in the end-to-end test. Installed with apt-get as root (waiting for other
installers' lock); elsewhere the tests that need them fail with what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import httpx
import pytest
import yaml

from kinerja.infra import free_port

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-q", "-y"]


@cache
def prometheus_binaries() -> tuple[Path, Path]:
    """Paths of ``promtool`` and ``prometheus``, installing Debian's package when they are missing."""
    found = shutil.which("promtool"), shutil.which("prometheus")
    if not all(found):
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.fail("promtool and prometheus are needed: install Debian's `prometheus` package")
        environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = [*APT, "install", "--no-install-recommends", "prometheus"]
        if subprocess.run(install, env=environment, capture_output=True, check=False).returncode != 0:
            subprocess.run([*APT, "update"], env=environment, capture_output=True, check=True)
            subprocess.run(install, env=environment, capture_output=True, check=True)
        found = shutil.which("promtool"), shutil.which("prometheus")
    promtool, prometheus = found
    assert promtool is not None, "the prometheus package installed no promtool"
    assert prometheus is not None, "the prometheus package installed no server"
    return Path(promtool), Path(prometheus)


def promtool(
    *arguments: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run promtool; the completed process carries its output for assertion messages."""
    return subprocess.run(
        [str(prometheus_binaries()[0]), *arguments],
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@contextlib.contextmanager
def running_prometheus(
    directory: Path, targets: dict[str, str], rule_files: list[Path], *, interval: str = "1s"
) -> Iterator[str]:
    """A Prometheus server scraping ``targets`` (job -> host:port) and evaluating ``rule_files``.

    Yields its base URL; its data and log stay in ``directory``. Scrapes and evaluations every
    ``interval``, so a test sees series within seconds.
    """
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]} for job, target in targets.items()
        ],
    }
    config_path = directory / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log = (directory / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            str(prometheus_binaries()[1]),
            f"--config.file={config_path}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not start; see {directory / 'prometheus.log'}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
