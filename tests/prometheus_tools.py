"""Prometheus' own tools for the tests: Debian's ``prometheus`` package, installed when missing.

``promtool`` checks metrics and rules and runs the rules' unit tests; the ``prometheus`` server
scrapes the services in the end-to-end test. Installed with apt-get as root (waiting for other
installers' lock); elsewhere the tests that need them fail with what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

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
