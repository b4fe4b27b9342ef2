"""Time-ordered UUIDs (version 7, RFC 9562) for the ids our own clients mint.

The activities' primary keys (reporting, scoring, feedback) are the client's activity id. Random
(v4) ids land on a random leaf of those indexes: once an index has more leaf pages than it gets
inserts between two checkpoints, nearly every insert writes an 8 KB full-page image to the WAL
(soak, session 33). A v7 id begins with the millisecond it was minted, so inserts land at the
index's right edge. Python 3.11 has no ``uuid.uuid7`` and no library here provides it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

#: The 74 bits after the timestamp (rand_a, rand_b) count within a millisecond; a new millisecond
#: starts them at a random value with the top bit clear, so the count cannot overflow in practice.
_COUNTER_BITS = 74
_lock = threading.Lock()
_last_ms = -1
_counter = 0


def uuid7() -> uuid.UUID:
    """A new UUIDv7: 48-bit Unix time in ms, version 7, the variant, then random bits.

    Monotonic within this process (RFC 9562 §6.2, method 2): within one millisecond, or when the
    clock steps back, the id is the previous one plus a random step of 1 to 2**32, so ids sort in
    the order minted and one id handed out (the web's form) does not tell the next one: guessed, it
    could be submitted first and refuse someone else's report as "id taken".
    """
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(10)) >> (80 - _COUNTER_BITS + 1)
        else:
            _counter += 1 + int.from_bytes(os.urandom(4))
            if _counter >> _COUNTER_BITS:  # never in practice: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    rand_a = counter >> 62
    rand_b = counter & ((1 << 62) - 1)
    return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
