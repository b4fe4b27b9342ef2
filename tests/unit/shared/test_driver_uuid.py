"""The replay's inbox COPY sends its ids as asyncpg's own UUID type (``inbox.DriverUUID``), which is
not asyncpg's public API: after an asyncpg upgrade these tests fail, saying what to do, if the type
is made otherwise or no longer written as it is (moved or gone, the inbox's import itself fails,
naming this file).

The fix either way: point ``DriverUUID`` at the type's new place or constructor, or send the
standard ``uuid.UUID`` again (``item.event_id`` as it is, in ``Inbox._copy_in``: correct, about 550
instructions an event dearer) and delete ``DriverUUID`` and these tests.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from asyncpg.pgproto import pgproto

from shared.messaging.consumer.inbox import DriverUUID

_IN_USE = (
    "shared/messaging/consumer/inbox.py's DriverUUID (the replay's COPY of processed-event rows) is "
    f"asyncpg's internal asyncpg.pgproto.pgproto.UUID; with asyncpg {asyncpg.__version__}"
)
_FIX = (
    "Point DriverUUID at the type's new place or constructor, or send the standard uuid.UUID again "
    "(item.event_id as it is, in Inbox._copy_in) and delete DriverUUID and this test."
)

#: Ids of every shape a byte order or sign could get wrong: the edges, a v4 and a time-ordered v7.
IDS = [
    uuid.UUID(int=0),
    uuid.UUID(int=1),
    uuid.UUID(int=(1 << 128) - 1),
    uuid.UUID(int=1 << 127),
    uuid.UUID("f47ac10b-58cc-4372-a567-0e02b2c3d479"),
    uuid.UUID("0190f3a4-6b2e-7c11-8a3d-5e6f7a8b9c0d"),
]


@pytest.mark.parametrize("event_id", IDS, ids=str)
def test_made_from_an_ids_sixteen_bytes_it_is_that_id(event_id: uuid.UUID) -> None:
    try:
        made = DriverUUID(event_id.int.to_bytes(16, "big"))
    except Exception as error:  # any refusal of its constructor is the news
        pytest.fail(f"{_IN_USE} it is no longer made from 16 bytes ({error!r}). {_FIX}")
    same = (
        isinstance(made, uuid.UUID)
        and made == event_id
        and made.int == event_id.int
        and made.bytes == event_id.bytes
        and str(made) == str(event_id)
        and hash(made) == hash(event_id)
    )
    assert same, f"{_IN_USE} made from {event_id}'s 16 bytes it is {made!r}, not that id. {_FIX}"


def test_the_driver_writes_its_own_uuid_as_it_is() -> None:
    """asyncpg's encoder (``asyncpg/pgproto/codecs/uuid.pyx``, ``uuid_encode``) writes an object of
    type ``pg_UUID`` as its 16 bytes, anything else through ``.bytes`` (Python): were that name
    another type, the ids would still be right but the COPY as dear as with ``uuid.UUID``."""
    assert getattr(pgproto, "pg_UUID", None) is DriverUUID, (
        f"{_IN_USE} its encoder's fast path (uuid_encode's `type(obj) is pg_UUID`) may be gone: "
        f"check asyncpg/pgproto/codecs/uuid.pyx. {_FIX}"
    )
