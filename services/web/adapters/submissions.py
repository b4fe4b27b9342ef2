"""Nothing is sent twice: each form carries a random submission id, claimed once in Redis.

A double tap, a resent form or the back button then lands on the result of the first sending
instead of creating a second response or complaint.
"""

from __future__ import annotations

import re

import redis.asyncio as aioredis

PREFIX = "web:submission:"
PENDING = b"pending"
SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class SubmissionGuard:
    """Claims of submission ids, each kept for a day with its outcome."""

    def __init__(self, redis: aioredis.Redis, *, keep_seconds: int = 24 * 3600) -> None:
        self._redis = redis
        self._keep_seconds = keep_seconds

    async def claim(self, submission_id: str) -> bytes | None:
        """None when this sending is the first; else what the first one left (its outcome or pending)."""
        if not SUBMISSION_ID.fullmatch(submission_id):
            return None  # a form without a usable id is sent as it is (the services refuse duplicates)
        if await self._redis.set(PREFIX + submission_id, PENDING, nx=True, ex=self._keep_seconds):
            return None
        existing = await self._redis.get(PREFIX + submission_id)
        if isinstance(existing, str):
            existing = existing.encode()
        return existing or PENDING

    async def outcome(self, submission_id: str) -> bytes | None:
        """What a sending of this id left (its outcome or pending) without claiming it; None if unsent."""
        if not SUBMISSION_ID.fullmatch(submission_id):
            return None
        existing = await self._redis.get(PREFIX + submission_id)
        return existing.encode() if isinstance(existing, str) else existing

    async def complete(self, submission_id: str, outcome: str) -> None:
        """Remember where the first sending led (a page address)."""
        if SUBMISSION_ID.fullmatch(submission_id):
            await self._redis.set(PREFIX + submission_id, outcome.encode(), ex=self._keep_seconds)

    async def release(self, submission_id: str) -> None:
        """Forget a sending that was refused, so the corrected form may be sent."""
        if SUBMISSION_ID.fullmatch(submission_id):
            await self._redis.delete(PREFIX + submission_id)
