"""NUL characters, which PostgreSQL text cannot hold, are refused wherever they hide in a request."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from pydantic_core import PydanticCustomError

from shared.settings import ServiceSettings
from shared.validation import contains_nul, without_nul
from tests.unit.shared.test_admitted_once import settings
from tests.unit.shared.test_hot_route import GOOD, JSON, _answers, hot, plain

__all__ = ["settings"]  # a signing key and the settings that read it, the admission tests' fixture


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


#: A NUL in a path parameter, a query parameter's value, and a query parameter's name.
NUL_IN_URLS = [
    ("path", "/v1/things/x%001", JSON, GOOD),
    ("query value", "/v1/things/x1?limit=3&note=a%00b", JSON, GOOD),
    ("query name", "/v1/things/x1?li%00mit=3", JSON, GOOD),
]


@pytest.mark.parametrize("router", [plain, hot], ids=["ordinary route", "hot route"])
async def test_a_nul_in_the_url_is_refused_naming_its_parameter_in_both_languages(
    settings: ServiceSettings, router: APIRouter
) -> None:
    answers = await _answers(router, settings, NUL_IN_URLS)

    errors = [(status, body["error"]) for status, body, _ in answers]
    assert [(status, error["code"], error["field"]) for status, error in errors] == [
        (422, "invalid_input", "item_id"),
        (422, "invalid_input", "note"),
        (422, "invalid_input", "li\\u0000mit"),
    ]
    for _, error in errors:
        assert error["message"] == f"{error['field']}: text must not contain NUL characters"
        assert error["message_id"] == f"{error['field']}: teks tidak boleh berisi karakter NUL"
