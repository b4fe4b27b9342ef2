"""Clients of the four services' public HTTP APIs, one pooled connection set per service.

The web process is a client like any other: it sends the signed-in person's bearer token (or none,
for the citizens' public routes) and turns the platform's one error shape into ``ApiProblem``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from services.web.metrics import API_CALL_SECONDS
from services.web.settings import WebSettings
from shared.observability import correlation_id_var


class Service(StrEnum):
    """The four services the web process calls."""

    PLANNING = "planning"
    REPORTING = "reporting"
    SCORING = "scoring"
    FEEDBACK = "feedback"


@dataclass(eq=False)
class ApiProblem(Exception):
    """A service refused or failed a call: status and the platform's error body, in both languages."""

    status: int
    code: str
    field: str | None = None
    message_en: str = ""
    message_id: str = ""
    retry_after: int | None = None
    details: tuple[dict[str, Any], ...] = ()

    def message(self, language: str) -> str:
        """The service's own message in the page's language."""
        return self.message_id if language == "id" else self.message_en

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        """Read the platform's error body (``{"error": {...}}``), tolerating anything else."""
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        retry_after = response.headers.get("retry-after")
        return cls(
            status=response.status_code,
            code=str(error.get("code") or f"http_{response.status_code}"),
            field=error.get("field"),
            message_en=str(error.get("message") or response.reason_phrase),
            message_id=str(error.get("message_id") or error.get("message") or response.reason_phrase),
            retry_after=int(retry_after) if retry_after and retry_after.isdigit() else None,
            details=tuple(error.get("details") or ()),
        )


class ServiceUnreachable(Exception):
    """A service did not answer (down, restarting, timed out)."""

    def __init__(self, service: Service) -> None:
        super().__init__(f"{service.value} did not answer")
        self.service = service


class ServiceApis:
    """One ``httpx.AsyncClient`` per service, shared by every request of the process."""

    def __init__(
        self, settings: WebSettings, *, transports: Mapping[Service, httpx.AsyncBaseTransport] | None = None
    ) -> None:
        limits = httpx.Limits(
            max_connections=settings.api_max_connections,
            max_keepalive_connections=settings.api_max_connections,
        )
        urls = {
            Service.PLANNING: settings.planning_url,
            Service.REPORTING: settings.reporting_url,
            Service.SCORING: settings.scoring_url,
            Service.FEEDBACK: settings.feedback_url,
        }
        self._clients = {
            service: httpx.AsyncClient(
                base_url=url,
                timeout=settings.api_timeout_seconds,
                limits=limits,
                transport=(transports or {}).get(service),
            )
            for service, url in urls.items()
        }
        # Streams (a rater's live feed) on clients of their own: an open feed holds its connection
        # for hours and must not take one the pages' calls need; their reads wait past the
        # service's keep-alives instead of the pages' timeout.
        self._stream_clients = {
            service: httpx.AsyncClient(
                base_url=url,
                timeout=httpx.Timeout(settings.api_timeout_seconds, read=settings.feed_read_timeout_seconds),
                limits=httpx.Limits(max_connections=settings.feed_max_relays, max_keepalive_connections=0),
                transport=(transports or {}).get(service),
            )
            for service, url in urls.items()
        }

    @staticmethod
    def _headers(token: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        sent_headers = dict(headers or {})
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        correlation_id = correlation_id_var.get()
        if correlation_id:
            sent_headers["X-Correlation-Id"] = correlation_id
        return sent_headers

    async def request(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call a service; 2xx answers return, others raise ``ApiProblem`` (or ``ServiceUnreachable``)."""
        sent_headers = self._headers(token, headers)
        started = time.perf_counter()
        try:
            response = await self._clients[service].request(method, path, headers=sent_headers, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(service) from exc
        finally:
            API_CALL_SECONDS.labels(service.value, method).observe(time.perf_counter() - started)
        if response.is_success:
            return response
        raise ApiProblem.from_response(response)

    async def open_stream(
        self, service: Service, path: str, *, token: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """GET a stream (e.g. Server-Sent Events); the caller reads it and closes it (``aclose``).

        Refusals raise ``ApiProblem`` (their body read and the connection released), as ``request``.
        """
        client = self._stream_clients[service]
        request = client.build_request("GET", path, headers=self._headers(token, headers))
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(service) from exc
        if response.is_success:
            return response
        try:
            await response.aread()
        finally:
            await response.aclose()
        raise ApiProblem.from_response(response)

    async def get_json(self, service: Service, path: str, **kwargs: Any) -> Any:
        """GET a JSON document."""
        return (await self.request(service, "GET", path, **kwargs)).json()

    async def post_json(self, service: Service, path: str, body: Any, **kwargs: Any) -> Any:
        """POST a JSON body, returning the JSON answer."""
        return (await self.request(service, "POST", path, json=body, **kwargs)).json()

    async def ready(self) -> dict[str, str]:
        """Whether each service answers its /healthz (for the web process's /readyz)."""
        report: dict[str, str] = {}
        for service, client in self._clients.items():
            try:
                response = await client.get("/healthz", timeout=2.0)
                report[service.value] = "ok" if response.is_success else f"status {response.status_code}"
            except httpx.TransportError as exc:
                report[service.value] = f"unreachable: {type(exc).__name__}"
        return report

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for client in [*self._clients.values(), *self._stream_clients.values()]:
            await client.aclose()
