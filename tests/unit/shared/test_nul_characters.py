"""NUL characters, which PostgreSQL text cannot hold, are refused wherever they hide in a request."""

from __future__ import annotations

import pytest
from pydantic_core import PydanticCustomError

from shared.validation import contains_nul, without_nul


@pytest.mark.parametrize(
    "value",
    [
        "a\x00b",
        {"name": "Siti\x00"},
        {"ka\x00y": 1},
        [1, ["x\x00"]],
        ("ok", "\x00"),
        {"rows": [{"n": "\x00"}]},
    ],
)
def test_a_nul_anywhere_in_a_body_is_found_and_refused_in_both_languages(value):
    assert contains_nul(value)
    with pytest.raises(PydanticCustomError) as refused:
        without_nul(value)
    assert refused.value.context == {
        "message": "text must not contain NUL characters",
        "message_id": "teks tidak boleh berisi karakter NUL",
    }


@pytest.mark.parametrize("value", ["Siti Lubis", {"scores": [3, 4]}, [None, 1.5, True], ("a", "b"), 7])
def test_a_body_without_nul_passes_unchanged(value):
    assert not contains_nul(value)
    assert without_nul(value) is value
