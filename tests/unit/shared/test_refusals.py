"""A refusal raised anywhere under a route is answered once, by shared.http_errors, in both languages."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from shared.guarded_route import GuardedRoute
from shared.http import PUBLIC, create_app
from shared.refusals import Refusal, RefusalKind, Wait


async def answer_of(refusal: Refusal) -> httpx.Response:
    router = APIRouter(route_class=GuardedRoute)

    @router.post("/v1/things", openapi_extra=PUBLIC)
    async def make_thing() -> None:
        raise refusal

    app = create_app(title="t", description="t", routers=[router], readiness_checks={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.post("/v1/things")


async def test_a_refusal_answers_the_status_of_its_kind_with_the_message_in_both_languages() -> None:
    refusal = Refusal(
        "already_exists",
        "This was just created by another request; reload it instead of creating it again.",
        field="code",
        kind=RefusalKind.CONFLICT,
    )
    response = await answer_of(refusal)
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "already_exists",
            "field": "code",
            "message": "This was just created by another request; reload it instead of creating it again.",
            "message_id": "Data ini baru saja dibuat oleh permintaan lain; muat ulang, jangan dibuat lagi.",
        }
    }


async def test_the_parameters_fill_the_message_in_each_language() -> None:
    refusal = Refusal(
        "method_not_allowed",
        "%(method)s is not accepted at this address; it accepts %(allowed)s.",
        params={"method": "PATCH", "allowed": "GET"},
    )
    error = (await answer_of(refusal)).json()["error"]
    assert error["message"] == "PATCH is not accepted at this address; it accepts GET."
    assert error["message_id"] == "PATCH tidak diterima di alamat ini; yang diterima: GET."


async def test_a_refusal_moved_to_another_field_keeps_everything_else() -> None:
    refusal = Refusal("x", "A value cannot be stored as sent.", field="a", kind=RefusalKind.FORBIDDEN)
    moved = refusal.at("b")
    assert (moved.code, moved.field, moved.kind, moved.message_en) == (
        "x",
        "b",
        RefusalKind.FORBIDDEN,
        "A value cannot be stored as sent.",
    )


async def test_a_listing_names_each_problem_by_its_field_in_both_languages() -> None:
    listing = Refusal.listing(
        Refusal("unstorable_value", "A number is out of the range that can be stored.", field="a"),
        Refusal("unstorable_value", "A value cannot be stored as sent.", field="b"),
        kind=RefusalKind.CONFLICT,
    )
    response = await answer_of(listing)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "unstorable_value",
        "field": "a",
        "message": "a: A number is out of the range that can be stored.; "
        "b: A value cannot be stored as sent.",
        "message_id": "a: Angka di luar rentang yang dapat disimpan.; "
        "b: Nilai tidak dapat disimpan sebagaimana dikirim.",
    }
    assert [problem.field for problem in listing.problems] == ["a", "b"]


async def test_an_unauthenticated_refusal_is_a_401_that_asks_for_a_bearer_token() -> None:
    refusal = Refusal("missing_token", "A bearer token is required.", kind=RefusalKind.UNAUTHENTICATED)
    response = await answer_of(refusal)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == {
        "code": "missing_token",
        "field": None,
        "message": "A bearer token is required.",
        "message_id": "Token bearer diperlukan.",
    }


async def test_a_rate_limited_refusal_is_a_429_saying_when_to_try_again() -> None:
    refusal = Refusal(
        "rate_limited",
        "Too many requests; try again %(wait)s.",
        kind=RefusalKind.RATE_LIMITED,
        params={"wait": Wait(42)},
        retry_after=42,
    )
    response = await answer_of(refusal)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    error = response.json()["error"]
    assert error["message"] == "Too many requests; try again in 42 seconds."
    assert error["message_id"] == "Terlalu banyak permintaan; coba lagi dalam 42 detik."


@pytest.mark.parametrize(
    ("seconds", "english", "indonesian"),
    [
        (42, "in 42 seconds", "dalam 42 detik"),
        (90, "in 2 minutes", "dalam 2 menit"),
        (3000, "in 50 minutes", "dalam 50 menit"),
        (7200, "in 2 hours", "dalam 2 jam"),
        (86_400, "in 1 day", "dalam 1 hari"),  # a daily budget spent: not "in 86400 seconds"
    ],
)
async def test_a_wait_is_said_in_its_largest_sensible_unit_while_retry_after_stays_in_seconds(
    seconds: int, english: str, indonesian: str
) -> None:
    refusal = Refusal(
        "rate_limited",
        "Too many requests; try again %(wait)s.",
        kind=RefusalKind.RATE_LIMITED,
        params={"wait": Wait(seconds)},
        retry_after=seconds,
    )
    response = await answer_of(refusal)
    assert response.headers["retry-after"] == str(seconds)
    error = response.json()["error"]
    assert error["message"] == f"Too many requests; try again {english}."
    assert error["message_id"] == f"Terlalu banyak permintaan; coba lagi {indonesian}."
    assert refusal.message_en == error["message"]


async def test_an_unavailable_refusal_is_a_503_with_retry_after_only_when_it_names_one() -> None:
    stopping = Refusal(
        "service_stopping", "The service is stopping; send the activity again.", kind=RefusalKind.UNAVAILABLE
    )
    response = await answer_of(stopping)
    assert response.status_code == 503
    assert "retry-after" not in response.headers
    assert response.json()["error"]["message_id"] == "Layanan sedang berhenti; kirim lagi."

    soon = await answer_of(
        Refusal("x", "A value cannot be stored as sent.", kind=RefusalKind.UNAVAILABLE, retry_after=1)
    )
    assert (soon.status_code, soon.headers["retry-after"]) == (503, "1")


async def test_a_refusal_moved_to_another_field_keeps_when_to_try_again() -> None:
    refusal = Refusal("x", "A value cannot be stored as sent.", kind=RefusalKind.UNAVAILABLE, retry_after=5)
    assert refusal.at("b").retry_after == 5


def _classes_with_a_status(root: Path) -> list[str]:
    """Classes of the services and shared that carry an HTTP status of their own (``status_code = ...``)."""
    found = []
    for path in [*(root / "services").rglob("*.py"), *(root / "shared").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                targets = (
                    statement.targets
                    if isinstance(statement, ast.Assign)
                    else [statement.target]
                    if isinstance(statement, ast.AnnAssign) and statement.value is not None
                    else []
                )
                if any(isinstance(target, ast.Name) and target.id == "status_code" for target in targets):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    return found


def test_refusal_is_the_one_way_to_refuse() -> None:
    # Issue #16: shared.errors' ApiError family (an exception class per status, texts written in both
    # languages at each raise) was a second way to refuse. A refusal is a Refusal of a kind; the
    # status is shared.http_errors' STATUS_OF_KIND, the Indonesian is the catalogue's.
    assert importlib.util.find_spec("shared.errors") is None, "shared/errors.py is back: raise Refusal"
    assert _classes_with_a_status(Path(__file__).resolve().parents[3]) == []
