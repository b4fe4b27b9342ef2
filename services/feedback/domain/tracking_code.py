"""Complaint tracking codes (kode pelacakan) a citizen can read out over the phone.

Format: nine random characters and one check character, shown as ``XXXXX-XXXXX``. The alphabet
drops 0/O, 1/I/L, which people confuse when reading or typing, leaving 31 symbols. 31 is prime,
so a position-weighted sum mod 31 (weights 1..10, all non-zero mod 31) detects every single
wrong character and every swap of two adjacent characters.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Final

from shared.refusals import Refusal

ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_BASE: Final = len(ALPHABET)
_VALUES: Final = {symbol: value for value, symbol in enumerate(ALPHABET)}
PAYLOAD_LENGTH: Final = 9
CODE_LENGTH: Final = PAYLOAD_LENGTH + 1
_GROUP: Final = 5

RandomBelow = Callable[[int], int]
"""Returns a uniformly random int in [0, n); ``secrets.randbelow`` in production."""


def _weighted_sum(symbols: str) -> int:
    return sum((position + 1) * _VALUES[symbol] for position, symbol in enumerate(symbols))


def check_character(payload: str) -> str:
    """Check character that makes the weighted sum of payload + check divisible by 31."""
    if len(payload) != PAYLOAD_LENGTH or any(symbol not in _VALUES for symbol in payload):
        raise _invalid_code()
    # Solve S + CODE_LENGTH * c == 0 (mod 31) for c; the inverse exists because 31 is prime.
    inverse = pow(CODE_LENGTH, -1, _BASE)
    return ALPHABET[(-_weighted_sum(payload) * inverse) % _BASE]


def generate_tracking_code(random_below: RandomBelow = secrets.randbelow) -> str:
    """A new canonical tracking code (10 characters, no separator)."""
    payload = "".join(ALPHABET[random_below(_BASE)] for _ in range(PAYLOAD_LENGTH))
    return payload + check_character(payload)


def normalise_tracking_code(text: str) -> str:
    """Canonical form of typed input: upper case, spaces and hyphens removed."""
    return "".join(text.split()).replace("-", "").upper()


def is_valid_tracking_code(text: str) -> bool:
    """True when the (normalised) input is a well-formed code whose check character matches."""
    code = normalise_tracking_code(text)
    if len(code) != CODE_LENGTH or any(symbol not in _VALUES for symbol in code):
        return False
    return _weighted_sum(code) % _BASE == 0


def parse_tracking_code(text: str) -> str:
    """Canonical code from typed input, or a refusal naming the tracking code."""
    if not is_valid_tracking_code(text):
        raise _invalid_code()
    return normalise_tracking_code(text)


def format_tracking_code(code: str) -> str:
    """Display form in two groups of five, e.g. ``7KQ3M-XR8T2``."""
    canonical = parse_tracking_code(code)
    return f"{canonical[:_GROUP]}-{canonical[_GROUP:]}"


def _invalid_code() -> Refusal:
    return Refusal(
        "feedback.complaint.invalid_tracking_code",
        "The complaint tracking code is not valid; please check how it was typed",
        field="tracking_code",
    )
