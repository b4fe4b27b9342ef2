"""A real OpenID Connect provider process for the sign-in tests: NAV's mock-oauth2-server.

Fetched from Maven Central with Maven (its jar and dependencies, once, into ``.kinerja/cache``)
and run with ``java``. It signs RS256 tokens with the claims we configure per issuer (one issuer
per region, ``http://127.0.0.1:<port>/<region>``) and logs in without a form.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kinerja import infra

ROOT = Path(__file__).resolve().parents[2]
POM = Path(__file__).with_name("mock-oauth2-pom.xml")
VERSION = "6.0.2"
CACHE = ROOT / ".kinerja" / "cache" / f"mock-oauth2-server-{VERSION}"
MAIN_CLASS = "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt"


def ensure_jars() -> Path:
    """The server's jars, fetched with Maven the first time (Maven Central only)."""
    marker = CACHE / ".complete"
    if marker.exists():
        return CACHE
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise RuntimeError("the sign-in tests need java (17+) and mvn to fetch mock-oauth2-server")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={CACHE}"],
        check=True,
        timeout=900,
    )
    marker.touch()
    return CACHE


@dataclass(frozen=True)
class OidcProviderProcess:
    """The running provider."""

    base_url: str

    def issuer(self, region_id: str) -> str:
        """The issuer of one region."""
        return f"{self.base_url}/{region_id}"


#: Per issuer (region): (a parameter of the token request, the value it must have or "*", the
#: token's claims); the first that matches the request wins.
People = dict[str, list[tuple[str, str, dict[str, Any]]]]


def claims_config(people: People, *, token_seconds: int) -> dict[str, Any]:
    """Tokens of an issuer carry the claims of the first mapping whose scope matches the request."""
    return {
        "interactiveLogin": False,
        "tokenCallbacks": [
            {
                "issuerId": region_id,
                "tokenExpiry": token_seconds,
                "requestMappings": [
                    {"requestParam": param, "match": match, "claims": claims}
                    for param, match, claims in mappings
                ],
            }
            for region_id, mappings in people.items()
        ],
    }


@contextmanager
def oidc_provider(people: People, *, token_seconds: int = 300) -> Iterator[OidcProviderProcess]:
    """Start the provider on a free port with ``people``; stop it after."""
    jars = ensure_jars()
    port = infra.free_port()
    environment = dict(os.environ) | {
        "SERVER_PORT": str(port),
        "JSON_CONFIG": json.dumps(claims_config(people, token_seconds=token_seconds)),
    }
    process = subprocess.Popen(
        ["java", "-cp", f"{jars}/*", MAIN_CLASS],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        first = next(iter(people))
        while True:
            try:
                with urllib.request.urlopen(  # noqa: S310 - our own http://127.0.0.1 address
                    f"{base_url}/{first}/.well-known/openid-configuration", timeout=2
                ):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mock-oauth2-server did not start") from None
                time.sleep(0.3)
        yield OidcProviderProcess(base_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
