"""Structured JSON logs carrying the correlation id, and the runtime metrics every service exports."""

from __future__ import annotations

import contextvars
import gc
import logging
import sys
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram, Info

#: The correlation id of the request or event being handled; copied into every log line and event.
correlation_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

# Runtime metrics, declared once so every service exports the same names (dashboards rely on it).
HTTP_REQUESTS = Counter("kinerja_http_requests_total", "HTTP requests handled", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "kinerja_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_BACKLOG = Gauge("kinerja_outbox_backlog", "Outbox rows not yet published to the broker")
OUTBOX_OLDEST_AGE = Gauge("kinerja_outbox_oldest_unpublished_seconds", "Age of the oldest unpublished row")
EVENTS_PUBLISHED = Counter(
    "kinerja_events_published_total", "Events published by the outbox relay", ["topic"]
)
RELAY_FAILURES = Counter("kinerja_outbox_relay_failures_total", "Relay publish attempts that failed")
EVENTS_CONSUMED = Counter("kinerja_events_consumed_total", "Events applied by a consumer", ["topic"])
EVENTS_DUPLICATE = Counter(
    "kinerja_events_duplicate_total", "Redelivered events recognised and skipped", ["topic"]
)
EVENTS_FAILED = Counter(
    "kinerja_events_failed_total", "Transient failures while applying events (retried)", ["topic"]
)
EVENTS_DEAD_LETTERED = Counter(
    "kinerja_events_dead_lettered_total", "Events sent to the dead-letter topic", ["topic", "reason"]
)
CONSUMER_BATCH_SIZE = Histogram(
    "kinerja_consumer_batch_size",
    "Events per consumed batch",
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000),
)
CONSUMER_BATCH_SECONDS = Histogram(
    "kinerja_consumer_batch_seconds",
    "A consumed batch's time, from its first record's arrival to its effect committed",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BUILD_INFO = Info("kinerja_build", "The running build: service and version")
READY = Gauge("kinerja_ready", "1 when every readiness check passed at the last scrape or /readyz, else 0")
DEPENDENCY_UP = Gauge(
    "kinerja_dependency_up",
    "1 when the dependency answered the last readiness check, else 0",
    ["dependency"],
)
#: Fine between 0.5 and 5 s: a p99 interpolated in a bucket from 2 to 5 s read 4.1-4.9 s in a soak
#: where a few percent of events took longer than 2 s, and the target (1 s) sits inside that range.
EVENT_TO_EFFECT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60)
EVENT_TO_EFFECT = Histogram(
    "kinerja_event_to_effect_seconds",
    "Time from an event's occurrence to its effect being committed by a consumer",
    ["topic"],
    buckets=EVENT_TO_EFFECT_BUCKETS,
)
#: Where an event's time to effect goes, each event's parts adding up to its event-to-effect time:
#: ``relay`` from its occurrence to the producer's record (the outbox's commit and the relay's
#: claim), ``broker`` from the record to the consumer's fetch, ``waiting`` the part of that spent
#: while the consumer was busy with the batch before, ``applying`` its batch's time until commit.
EVENT_TO_EFFECT_PARTS = ("relay", "broker", "waiting", "applying")
EVENT_TO_EFFECT_PART = Histogram(
    "kinerja_event_to_effect_part_seconds",
    "A part of an event's time from its occurrence to its effect (relay, broker, waiting, applying)",
    ["topic", "part"],
    buckets=(0.005, *EVENT_TO_EFFECT_BUCKETS),
)


#: The cyclic garbage collector's pauses: with the services' thresholds (``shared.runtime``) its
#: collections are rare but each walks every young object, and a long one stalls every request and
#: batch of the process (a suspect of the soak's latency spikes).
GC_GENERATIONS = ("0", "1", "2")
GC_PAUSE = Histogram(
    "kinerja_gc_pause_seconds",
    "Pauses of Python's cyclic garbage collector, by the oldest generation collected",
    ["generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)


class _GcPauseTimer:
    """A ``gc.callbacks`` entry observing each collection's pause into ``GC_PAUSE``."""

    def __init__(self) -> None:
        self._started = 0.0
        self._pauses = {generation: GC_PAUSE.labels(generation) for generation in GC_GENERATIONS}

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._pauses[str(info["generation"])].observe(time.perf_counter() - self._started)


def time_gc_pauses() -> None:
    """Observe the collector's pauses from now on (once per process, however often called)."""
    if not any(isinstance(callback, _GcPauseTimer) for callback in gc.callbacks):
        gc.callbacks.append(_GcPauseTimer())


#: More regions than Indonesia has provinces, regencies and cities together (552): a label value per
#: region stays bounded even if a bug, or an attacker, sends ids that are no region.
MAX_REGION_LABELS = 1000
OTHER_REGIONS = "other"


class RegionLabels:
    """``region`` label values: each region's id until ``limit`` regions are labelled, then ``other``."""

    def __init__(self, limit: int = MAX_REGION_LABELS) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, region_id: str) -> str:
        if region_id in self._seen:
            return region_id
        with self._lock:
            if len(self._seen) >= self.limit:
                return OTHER_REGIONS
            self._seen.add(region_id)
        return region_id


#: The process's region labels (every metric with a region label takes its value from here).
region_label = RegionLabels()


def record_build(service: str) -> None:
    """Export ``kinerja_build_info`` for this process (dashboards show which version runs where)."""
    try:
        version = metadata.version("kinerja")
    except metadata.PackageNotFoundError:
        version = "unknown"
    BUILD_INFO.info({"service": service, "version": version, "python": sys.version.split()[0]})


def record_readiness(report: dict[str, str]) -> bool:
    """Export a readiness report (check name -> "ok" or a reason); returns whether all passed."""
    ready = all(value == "ok" for value in report.values())
    for name, value in report.items():
        DEPENDENCY_UP.labels(name).set(1 if value == "ok" else 0)
    READY.set(1 if ready else 0)
    return ready


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the correlation id when one is set."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        correlation_id = correlation_id_var.get()
        if correlation_id:
            entry["correlation_id"] = correlation_id
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Send logs to stderr, as JSON in services and plain text where a person reads them."""
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka logs every reconnect attempt at ERROR while a broker restarts; the relay counts those.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL if level != "DEBUG" else logging.DEBUG)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
