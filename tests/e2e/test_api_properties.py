"""Property-based runs from each service's own OpenAPI document (Schemathesis), against running services.

Whatever a client sends that the schema allows or nearly allows, a service answers without a 5xx,
and every response it documents matches its schema. The caller holds every role of one fresh
region, so the generated requests get past authentication and reach the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from kinerja import infra
from kinerja.platform import ServiceProcesses
from kinerja.services import SERVICE_NAMES
from tests.conftest import new_region_id, settings_endpoints

pytestmark = pytest.mark.e2e

#: Examples per operation: enough to find the classic 500s (bad ids, huge numbers, odd strings)
#: while the whole run stays within a couple of minutes on two cores.
EXAMPLES_PER_OPERATION = 12

PORTS = {name: infra.free_port() for name in SERVICE_NAMES}


@pytest.fixture(scope="module")
def running_services(infrastructure: Any, data_dir: Any) -> Iterator[ServiceProcesses]:
    endpoints = settings_endpoints(infra.Mode.EXTERNAL)
    services = ServiceProcesses(endpoints, data_dir, ports=PORTS)
    services.start_all()
    try:
        services.wait_healthy(timeout=90)
        yield services
    finally:
        services.stop_all()


@pytest.fixture(scope="module")
def region_token(make_token: Any) -> str:
    token: str = make_token(
        "employee,rater,region_admin,auditor", region=new_region_id(), employee="e-properties"
    )
    return token


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
HYPOTHESIS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _streams(operation: Any) -> bool:
    """Whether an operation answers with a Server-Sent Events stream."""
    responses = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in (r.get("content") or {}) for r in responses.values())


def _check(case: Any, service: str, token: str) -> None:
    case.call_and_validate(
        base_url=f"http://127.0.0.1:{PORTS[service]}",
        headers={"Authorization": f"Bearer {token}"},
        checks=CHECKS,
        timeout=30,
    )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_operation_answers_generated_requests_within_its_schema(
    running_services: ServiceProcesses, region_token: str, service: str
) -> None:
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{PORTS[service]}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the schema has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        if _streams(operation):
            continue  # a live feed never ends; tests/integration/test_reporting_feed.py covers it

        @given(case=operation.as_strategy())
        @HYPOTHESIS
        def exercise(case: Any) -> None:
            _check(case, service, region_token)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert operations > 3, f"{service} documents too few operations"
    assert not failures, "\n\n".join(failures)
