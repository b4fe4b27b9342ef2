"""Signed-in sessions in Redis: the tokens stay on the server, the browser holds only a random id."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from shared.auth import Principal, Role

SESSION_PREFIX = "web:session:"


@dataclass
class WebSession:
    """One signed-in person: who they are and the tokens the web process calls the services with."""

    session_id: str
    subject: str
    region_id: str | None
    roles: list[str]
    employee_id: str | None
    access_token: str
    access_expires_at: float
    #: The name shown in the header (from the provider's profile or planning's employee record).
    name: str | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    #: The region whose provider issued the tokens (None: a development token).
    provider: str | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def principal(self) -> Principal:
        """The person as the services see them."""
        return Principal(
            subject=self.subject,
            region_id=self.region_id,
            roles=frozenset(Role(role) for role in self.roles),
            employee_id=self.employee_id,
        )

    def expires_within(self, seconds: float) -> bool:
        """Whether the access token ends within ``seconds``."""
        return self.access_expires_at - time.time() < seconds


class SessionStore:
    """Sessions by random id, each expiring after a period without use."""

    def __init__(self, redis: aioredis.Redis, *, idle_seconds: int) -> None:
        self._redis = redis
        self._idle_seconds = idle_seconds

    async def create(self, **values: Any) -> WebSession:
        """Start a session with a fresh unguessable id (a new id at every sign-in: no fixation)."""
        session = WebSession(session_id=secrets.token_urlsafe(32), **values)
        await self.save(session)
        return session

    async def get(self, session_id: str) -> WebSession | None:
        """The session, its idle time restarted; None when unknown or expired."""
        if not session_id or len(session_id) > 64:
            return None
        raw = await self._redis.getex(SESSION_PREFIX + session_id, ex=self._idle_seconds)
        if raw is None:
            return None
        return WebSession(**orjson.loads(raw))

    async def save(self, session: WebSession) -> None:
        """Store (or replace) a session."""
        await self._redis.set(
            SESSION_PREFIX + session.session_id, orjson.dumps(asdict(session)), ex=self._idle_seconds
        )

    async def delete(self, session_id: str) -> None:
        """End a session (sign out): its tokens are gone from the server."""
        await self._redis.delete(SESSION_PREFIX + session_id)
