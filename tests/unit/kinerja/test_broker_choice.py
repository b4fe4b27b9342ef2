"""Which embedded broker runs: Apache Kafka where Java 17 and Maven (or fetched jars) are, else Tansu."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kinerja import brokers
from shared.settings import BrokerKind


def fake_java(bin_dir: Path, version: str) -> None:
    """A ``java`` that answers ``-version`` as a JDK of that version would (on stderr)."""
    java = bin_dir / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-04-15' >&2\n")
    java.chmod(0o755)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH of the test's own, and an empty user cache."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KINERJA_EMBEDDED_BROKER", raising=False)
    return path


def test_without_java_it_is_tansu_with_one_notice_saying_what_is_lost(
    bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert brokers.choose_broker() is BrokerKind.TANSU
    notice = capsys.readouterr().err
    assert notice.count("\n") == 1
    assert "Java 17+ not found" in notice
    assert "in memory" in notice
    assert "kcat" in notice
    assert "apt-get install openjdk-17-jre-headless maven" in notice


def test_a_java_older_than_17_counts_as_missing(bin_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_java(bin_dir, "11.0.2")
    assert brokers.choose_broker() is BrokerKind.TANSU
    assert "Java 17+ not found" in capsys.readouterr().err


def test_java_without_maven_is_tansu_until_the_jars_are_in_the_cache(
    bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_java(bin_dir, "17.0.15")
    assert brokers.choose_broker() is BrokerKind.TANSU
    assert "Maven not found" in capsys.readouterr().err
    fetched = brokers.kafka_cache_dir()
    fetched.mkdir(parents=True)
    (fetched / ".complete").write_text("1.0\n")
    assert brokers.choose_broker() is BrokerKind.KAFKA
    assert capsys.readouterr().err == ""


def test_java_and_maven_mean_apache_kafka(bin_dir: Path) -> None:
    fake_java(bin_dir, "21.0.1")
    maven = bin_dir / "mvn"
    maven.write_text("#!/bin/sh\nexit 0\n")
    maven.chmod(0o755)
    assert brokers.choose_broker() is BrokerKind.KAFKA


def test_the_choice_can_be_forced(bin_dir: Path) -> None:
    assert brokers.choose_broker({"KINERJA_EMBEDDED_BROKER": "kafka"}) is BrokerKind.KAFKA
    assert brokers.choose_broker({"KINERJA_EMBEDDED_BROKER": "tansu"}) is BrokerKind.TANSU


def test_the_cache_is_per_kafka_version_under_the_users_cache(bin_dir: Path) -> None:
    version = brokers.kafka_version()
    assert version.startswith("4.")
    assert brokers.kafka_cache_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "kinerja" / f"kafka-{version}"
