"""A lean HTTP/1.1 keep-alive client for the benchmarks, so the load generator is not what is measured.

httpx spends more CPU per request than a one-worker FastAPI server does, and its pool slows down
with many concurrent requests; on a 2-core machine the client would then set the figure. This
client writes pre-encoded requests on a pool of persistent connections and parses only the status
line, ``content-length`` and body. It offers the small part of httpx's interface that
``kinerja.simulate`` uses (``post``, ``status_code``, ``json()``, ``text``), and raises
``httpx.TransportError`` on connection faults so the simulator counts them the same way.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson


class RawResponse:
    """Status and body of one response."""

    __slots__ = ("content", "status_code")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        """The body as JSON."""
        return orjson.loads(self.content)


class RawClient:
    """A pool of keep-alive HTTP/1.1 connections to one server."""

    def __init__(self, base_url: str, *, connections: int) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)
        self._open: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for writer in self._open:
            writer.close()

    async def post(
        self, path: str, *, content: bytes, headers: dict[str, str] | None = None, json: Any = None
    ) -> RawResponse:
        """POST a body and read the whole response."""
        return await self.request("POST", path, orjson.dumps(json) if json is not None else content, headers)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> RawResponse:
        """GET a path and read the whole response."""
        return await self.request("GET", path, None, headers)

    async def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str] | None
    ) -> RawResponse:
        """Send one request on an idle connection (opened on first use) and read the whole response."""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        if body is not None:
            head.append(f"Content-Length: {len(body)}")
        head.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")
        connection = await self._idle.get()
        try:
            if connection is None:
                connection = await asyncio.open_connection(self._host, self._port)
                self._open.append(connection[1])
            reader, writer = connection
            writer.write(request)
            status, length = 0, 0
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("the server closed the connection")
            status = int(status_line.split()[1])
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            response = RawResponse(status, await reader.readexactly(length))
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            if connection is not None:
                connection[1].close()
            self._idle.put_nowait(None)
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            if connection is not None:
                connection[1].close()
            self._idle.put_nowait(None)
            raise
        self._idle.put_nowait(connection)
        return response
