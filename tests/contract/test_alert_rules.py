"""The alert rules are valid, unit-tested firing and not firing, and each has a runbook section.

``promtool`` (Debian's ``prometheus`` package, installed by ``tests.prometheus_tools`` when missing)
checks the rules and the Prometheus configuration and runs the rules' unit tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.contract.compose_files import PROMETHEUS_FILE, ROOT, exported_metric_names, service
from tests.prometheus_tools import promtool

RULES_DIR = ROOT / "deploy" / "prometheus" / "rules"
RULE_TESTS_DIR = ROOT / "deploy" / "prometheus" / "tests"
RUNBOOK = ROOT / "deploy" / "RUNBOOK.md"
SEVERITIES = {"critical", "warning"}


def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of every rule file."""
    return [
        rule
        for path in sorted(RULES_DIR.glob("*.yml"))
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def rule_test_cases() -> list[dict[str, Any]]:
    """Every alert_rule_test case of every unit-test file."""
    return [
        case
        for path in sorted(RULE_TESTS_DIR.glob("*.yml"))
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
    ]


def runbook_sections() -> dict[str, str]:
    """The runbook's sections by their anchor (the heading in lower case), with their text."""
    text = RUNBOOK.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title.strip().lower(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_promtool_accepts_the_rules_and_the_prometheus_configuration() -> None:
    for path in sorted(RULES_DIR.glob("*.yml")):
        checked = promtool("check", "rules", str(path))
        assert checked.returncode == 0, checked.stdout + checked.stderr
    checked = promtool("check", "config", str(PROMETHEUS_FILE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "rules/*.yml" in yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))["rule_files"]


def test_the_rules_unit_tests_pass() -> None:
    files = sorted(RULE_TESTS_DIR.glob("*.yml"))
    assert files, "no rule unit tests under deploy/prometheus/tests"
    tested = promtool("test", "rules", *(path.name for path in files), cwd=RULE_TESTS_DIR)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_tested_both_firing_and_not_firing() -> None:
    cases = rule_test_cases()
    for rule in alert_rules():
        own = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case.get("exp_alerts") for case in own), f"no test where {rule['alert']} fires"
        assert any(not case.get("exp_alerts") for case in own), f"no test where {rule['alert']} stays quiet"


def test_every_alert_has_a_severity_a_summary_and_a_runbook_section() -> None:
    sections = runbook_sections()
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names)), "two alerts share a name"
    for rule in alert_rules():
        name = rule["alert"]
        assert rule.get("labels", {}).get("severity") in SEVERITIES, f"{name}: severity"
        annotations = rule.get("annotations", {})
        assert annotations.get("summary"), f"{name}: summary"
        assert annotations.get("runbook") == f"deploy/RUNBOOK.md#{name.lower()}", f"{name}: runbook link"
        body = sections.get(name.lower())
        assert body is not None, f"deploy/RUNBOOK.md has no section {name}"
        for part in ("**Means.**", "**First checks.**", "**Fix.**"):
            assert part in body, f"RUNBOOK {name} lacks {part}"
        assert "`" in body.split("**Fix.**")[1], f"RUNBOOK {name}: the fix names no command"
    assert set(sections) == {name.lower() for name in names}, "runbook sections without an alert"


def test_the_rules_query_only_metrics_the_services_export() -> None:
    exported = exported_metric_names()
    for rule in alert_rules():
        used = set(re.findall(r"\bkinerja_[a-z0-9_]+", rule["expr"]))
        assert used <= exported, f"{rule['alert']} queries unknown metrics: {sorted(used - exported)}"


def test_compose_mounts_the_rules_where_the_configuration_finds_them() -> None:
    mounts = [str(volume) for volume in service("prometheus").get("volumes", [])]
    assert "./deploy/prometheus/rules:/etc/prometheus/rules:ro" in mounts
    assert Path(RULES_DIR).is_dir()
