"""Serving HTTP from several processes on one port, and stopping one of them without failing a request.

``kinerja up`` binds each port once and every process of the service inherits that one listening
socket, as gunicorn's and uvicorn's workers do: there is one queue of incoming connections, and
whichever process is free accepts the next one. A process that stops only stops accepting; what
waits in the queue is taken by the others, or by its replacement. (With SO_REUSEPORT each process
had a queue of its own, and the kernel reset whatever waited in it when the process closed it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from typing import cast

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

#: Logged once a process accepts connections: a replacement is serving when its log says so
#: (the port itself answers as soon as any process of the service accepts).
ACCEPTING_CONNECTIONS = "accepting connections"
#: How long a client may keep an idle connection before it no longer sends on it: httpx's default
#: (the web process's and the tools' client); browsers retry a request a closing connection lost.
CLIENT_IDLE_SECONDS = 5.0
#: A server closing an idle connection races a client sending on it: closed only after the client
#: gave it up, it never is (and a stopping process closes what stayed idle just as late).
IDLE_CONNECTION_SECONDS = 3 * CLIENT_IDLE_SECONDS
DRAIN_SECONDS = CLIENT_IDLE_SECONDS + 1.0


def server_config(app: ASGIApp, settings: ServiceSettings) -> uvicorn.Config:
    """How every process (a service's or the web's) serves HTTP: on this event loop, no access log
    or lifespan of uvicorn's own, client addresses from the configured proxies only."""
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="none",
        http="httptools",
        access_log=False,
        log_config=None,
        lifespan="off",
        # Uvicorn by default believes X-Forwarded-For from 127.0.0.1, so anyone on the host (or a
        # local proxy that passes the header through) could name any client: only the
        # configured proxies may, and with none configured the header is not read at all.
        proxy_headers=bool(settings.trusted_proxy_addresses),
        forwarded_allow_ips=list(settings.trusted_proxy_addresses),
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket for the processes of one service to inherit (see ``inherited_sockets``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def inherited_sockets(fd: int | None) -> list[socket.socket] | None:
    """The listening socket the process was given (``KINERJA_HTTP_SOCKET_FD``), or None to bind its own."""
    if fd is None:
        return None
    return [socket.socket(fileno=fd)]


class _CloseWhileDraining:
    """Adds ``Connection: close`` to every response once the server drains, so the client opens its
    next connection (to another process) instead of sending on one that is about to close."""

    def __init__(self, app: ASGIApp, server: GracefulServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and self.server.draining:
                message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)


class GracefulServer(uvicorn.Server):
    """Uvicorn that stops without failing a request sent to it.

    Uvicorn's own shutdown closes every idle keep-alive connection at once; a client that has just
    sent its next request on one sees the connection reset. So this one first stops accepting,
    then lets each open connection carry requests for up to ``drain_seconds``, each answered with
    ``Connection: close`` (the client goes elsewhere for the next), and only then does uvicorn's
    shutdown: finishing the requests in flight and closing what stayed idle all along, by then
    longer than a client keeps an idle connection. Idle connections are kept as long in service
    (``IDLE_CONNECTION_SECONDS``; uvicorn's 5 s equals httpx's own and raced it).
    """

    def __init__(
        self, config: uvicorn.Config, *, drain_seconds: float = DRAIN_SECONDS, handle_signals: bool = True
    ) -> None:
        if isinstance(config.app, str):
            raise TypeError("GracefulServer serves an application object, not an import string")
        config.app = _CloseWhileDraining(cast(ASGIApp, config.app), self)
        config.timeout_keep_alive = max(config.timeout_keep_alive, int(IDLE_CONNECTION_SECONDS))
        super().__init__(config)
        self.drain_seconds = drain_seconds
        #: False where the caller governs stopping (a service's stop event sets ``should_exit``).
        self.handle_signals = handle_signals
        self.draining = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self.handle_signals:
            yield
            return
        with super().capture_signals():
            yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            log.info(ACCEPTING_CONNECTIONS, extra={"fields": {"port": self.config.port, "pid": os.getpid()}})

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # This process's copy of the listening socket closes; the socket itself stays open in the
        # process that bound it, and connections queued on it wait for another process to accept.
        for server in self.servers:
            server.close()
        self.draining = True
        deadline = asyncio.get_running_loop().time() + self.drain_seconds
        # Uvicorn keeps its connections in a plain set, with nothing to await: poll it, as it does.
        while self.server_state.connections and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await super().shutdown(sockets=sockets)
