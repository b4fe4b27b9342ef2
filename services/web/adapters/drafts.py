"""A citizen's filled-in form, kept between the form and its "check your answers" page.

Nothing is sent while the citizen checks their answers or goes back to change one, so what they
typed (and the photo they attached, which a browser cannot put back into a file field) waits in
Redis under the form's submission id, for this browser only (its visitor id), for an hour. The
sending then claims the submission id as every form does (``SubmissionGuard``), so a resent check
page still sends one complaint or one survey response (``entrypoints/citizens/check_answers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis

from services.web.adapters.submissions import SUBMISSION_ID

PREFIX = "web:draft:"


@dataclass(frozen=True)
class Draft:
    """What was typed (field name to text) and the attached photo, if any, with its file name."""

    values: dict[str, str]
    photo: bytes = b""
    photo_name: str = ""
    visitor: str = field(default="", repr=False)


class FormDrafts:
    """Drafts by submission id, each readable only by the browser that wrote it."""

    def __init__(self, redis: aioredis.Redis, *, keep_seconds: int = 3600) -> None:
        self._redis = redis
        self.keep_seconds = keep_seconds

    async def save(self, submission_id: str, visitor: str, draft: Draft) -> bool:
        """Keep a draft (False when the form carries no usable submission id)."""
        if not SUBMISSION_ID.fullmatch(submission_id):
            return False
        key = PREFIX + submission_id
        fields: list[bytes | str] = [
            "visitor", visitor,
            "values", orjson.dumps(draft.values),
            "photo", draft.photo,
            "photo_name", draft.photo_name,
        ]  # fmt: skip
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, items=fields)
            pipe.expire(key, self.keep_seconds)
            await pipe.execute()
        return True

    async def get(self, submission_id: str, visitor: str) -> Draft | None:
        """This browser's draft, or None (none kept, expired, or another browser's)."""
        if not SUBMISSION_ID.fullmatch(submission_id):
            return None
        stored = await self._redis.hgetall(PREFIX + submission_id)
        if not stored or _text(stored.get(b"visitor", b"")) != visitor:
            return None
        values = orjson.loads(stored.get(b"values", b"{}"))
        return Draft(
            values={str(name): str(value) for name, value in values.items()},
            photo=_bytes(stored.get(b"photo", b"")),
            photo_name=_text(stored.get(b"photo_name", b"")),
            visitor=visitor,
        )

    async def delete(self, submission_id: str) -> None:
        """Forget a draft once it is sent."""
        if SUBMISSION_ID.fullmatch(submission_id):
            await self._redis.delete(PREFIX + submission_id)


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
