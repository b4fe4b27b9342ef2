"""The soak's scrapes of /metrics: a service that does not answer is said, and its figures end at
its last answer instead of being lost for the window; the scrapes are parsed outside the load
generator's process."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

import httpx

from bench._soak_report import SoakReport, Window, render
from bench._soak_watch import Cumulative, Scrape, metrics_parser, scrape
from kinerja.services import SERVICE_NAMES

T = TypeVar("T")

ANSWERED = Scrape(
    backlog={"reporting": 10, "scoring": 200},
    freshness={0.5: 90.0, math.inf: 100.0},
    batch_seconds=Cumulative({math.inf: 4.0}, 1.0),
    gc_pauses={"scoring": {"0": Cumulative({math.inf: 2.0}, 0.01)}},
)


def test_a_scrape_scoring_did_not_answer_keeps_its_last_answer() -> None:
    newer = Scrape(backlog={"reporting": 12, "scoring": None}, unanswered={"scoring": "ReadTimeout"})
    merged = ANSWERED.updated_by(newer)
    assert merged.backlog == {"reporting": 12, "scoring": 200}
    assert merged.freshness == ANSWERED.freshness
    assert merged.batch_seconds == ANSWERED.batch_seconds
    assert merged.gc_pauses == ANSWERED.gc_pauses
    assert merged.unanswered == {"scoring": "ReadTimeout"}


def test_an_answer_replaces_the_last_one() -> None:
    newer = Scrape(backlog={"reporting": 12, "scoring": 150}, freshness={0.5: 180.0, math.inf: 200.0})
    merged = ANSWERED.updated_by(newer)
    assert merged.backlog == {"reporting": 12, "scoring": 150}
    assert merged.freshness == newer.freshness
    assert merged.batch_seconds == Cumulative()


def test_the_report_says_which_scrapes_went_unanswered_and_why() -> None:
    report = SoakReport("kafka", 1000.0, 60.0, 1000, 10, 0.5, "machine")
    report.windows = [
        Window(1, 60.0, 1.0),
        Window(2, 60.0, 1.0, unanswered={"scoring": ["ReadTimeout", "ReadTimeout", "HTTP 500"]}, scrapes=12),
    ]
    assert "  window 2: scoring 3 of 12 (ReadTimeout x2, HTTP 500 x1)" in render(report).splitlines()


async def test_a_scrape_is_parsed_in_a_process_of_its_own() -> None:
    def metrics(request: httpx.Request) -> httpx.Response:
        if request.url.host == "feedback":
            return httpx.Response(503)
        return httpx.Response(200, text="# TYPE kinerja_outbox_backlog gauge\nkinerja_outbox_backlog 7.0\n")

    urls = {name: f"http://{name}" for name in SERVICE_NAMES}
    with metrics_parser() as parser:
        noted = _NotingExecutor(parser)
        async with httpx.AsyncClient(transport=httpx.MockTransport(metrics)) as http:
            found = await scrape(http, urls, noted)
        parser_pid = parser.submit(os.getpid).result()
    assert parser_pid != os.getpid()
    assert noted.submitted == 1  # the parse went to the parser's process, not run here
    assert found.backlog == {name: None if name == "feedback" else 7 for name in SERVICE_NAMES}
    assert found.unanswered == {"feedback": "HTTP 503"}


class _NotingExecutor(Executor):
    """Hands each task to ``executor``, counting them."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.submitted = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self.submitted += 1
        return self.executor.submit(fn, *args, **kwargs)
