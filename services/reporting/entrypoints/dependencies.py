"""The adapters routes use, built once per process from the service's settings and context."""

from __future__ import annotations

from services.reporting.adapters.evidence_store import EvidenceStore, build_evidence_store
from services.reporting.adapters.intake_store import IntakeStore
from services.reporting.adapters.live_feed import LiveFeed
from services.reporting.service_layer.group_commit import SubmissionQueue
from services.reporting.service_layer.intake import WriteGroup, group_writer
from services.reporting.settings import ReportingSettings
from shared.context import ServiceContext
from shared.region_zones import region_zone
from shared.settings import own_settings


def reporting_settings(context: ServiceContext) -> ReportingSettings:
    """The context's settings as this service's settings class."""
    return own_settings(context.settings, ReportingSettings)


def evidence_store(context: ServiceContext) -> EvidenceStore:
    """The evidence store the settings select."""
    return context.adapter("evidence_store", lambda: build_evidence_store(reporting_settings(context)))


def live_feed(context: ServiceContext) -> LiveFeed:
    """The live feed on the context's Redis; its open streams end when the process stops."""

    def build() -> LiveFeed:
        feed = LiveFeed(context.redis)
        context.stop_hooks.append(feed.close)
        return feed

    return context.adapter("live_feed", build)


def submission_queue(context: ServiceContext) -> SubmissionQueue:
    """The group-commit queue of single submissions."""
    return context.adapter(
        "submission_queue", lambda: SubmissionQueue(submission_writer(context), kind="single")
    )


def batch_queue(context: ServiceContext) -> SubmissionQueue:
    """The group-commit queue of batch syncs: offline phones sync many at once, and each batch in a
    transaction of its own took a pool connection each (all of them in a burst, each backend then
    keeping its memory); a group is bounded by items, a batch holding up to 500."""

    def build() -> SubmissionQueue:
        settings = reporting_settings(context)
        return SubmissionQueue(
            submission_writer(context),
            kind="batch",
            max_items=settings.batch_group_items,
            writers=settings.batch_writers,
        )

    return context.adapter("batch_queue", build)


def submission_writer(context: ServiceContext) -> WriteGroup:
    """Writes one group of claims in its own transaction a region (the queues' writer)."""
    return context.adapter(
        "submission_writer",
        lambda: group_writer(
            IntakeStore(context.engine, outbox=context.outbox),
            clock_skew_seconds=reporting_settings(context).clock_skew_seconds,
            zone_of=lambda region_id: region_zone(context, region_id),
        ),
    )
