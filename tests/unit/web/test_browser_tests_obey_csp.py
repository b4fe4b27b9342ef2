"""The browser tests never hand Playwright JavaScript as a string to wait on.

The pages' Content-Security-Policy has no 'unsafe-eval', and `wait_for_function` with a string
evaluates it with eval() in the page: Debian's chromium lets that through, Playwright's own
Chromium build refuses it (a CI run failed on it). Locators and `expect` poll without eval.
"""

from __future__ import annotations

import ast
from pathlib import Path

BROWSER_TESTS = Path(__file__).resolve().parents[2] / "browser"


def string_predicates(source: str) -> list[int]:
    """Lines where `wait_for_function` is called with a string literal."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "wait_for_function"
        and node.args
        and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
    ]


def test_a_string_predicate_is_found() -> None:
    assert string_predicates('async def f(page):\n    await page.wait_for_function("1 === 1")\n') == [2]


def test_no_browser_test_waits_on_a_string_predicate() -> None:
    found = {
        path.name: lines
        for path in sorted(BROWSER_TESTS.glob("*.py"))
        if (lines := string_predicates(path.read_text(encoding="utf-8")))
    }
    assert not found, f"use a locator or expect() instead (the CSP forbids eval): {found}"
