"""`make up` trusts the web process as a proxy in feedback only, the one service it forwards citizens to.

The web process and the services share one host there, so trusting 127.0.0.1 lets any local
process name any client: the other services' audit trails keep the socket peer.
"""

from __future__ import annotations

import json
from pathlib import Path

from kinerja import infra
from kinerja.platform import ServiceProcesses
from kinerja.services import DEFAULT_PORTS, SERVICE_NAMES


def trusted_proxies(tmp_path: Path, name: str, *, with_web: bool) -> list[str]:
    endpoints = infra.Endpoints(
        mode=infra.Mode.EXTERNAL,
        database_url="postgresql+asyncpg://x@127.0.0.1/x",
        kafka_bootstrap_servers="127.0.0.1:9092",
        redis_url="redis://127.0.0.1:6379/0",
    )
    ports = dict(DEFAULT_PORTS) if with_web else {n: DEFAULT_PORTS[n] for n in SERVICE_NAMES}
    environment = ServiceProcesses(endpoints, tmp_path, ports=ports).environment(name)
    return list(json.loads(environment.get("KINERJA_TRUSTED_PROXY_ADDRESSES", "[]")))


def test_only_feedback_believes_the_web_process_forwarding_citizens(tmp_path, monkeypatch):
    monkeypatch.delenv("KINERJA_TRUSTED_PROXY_ADDRESSES", raising=False)
    assert trusted_proxies(tmp_path, "feedback", with_web=True) == ["127.0.0.1"]
    for name in ("planning", "reporting", "scoring", "web"):
        assert trusted_proxies(tmp_path, name, with_web=True) == [], name
    assert trusted_proxies(tmp_path, "feedback", with_web=False) == []
