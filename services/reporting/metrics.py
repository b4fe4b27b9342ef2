"""Every metric the reporting service declares beyond the shared runtime metrics."""

from prometheus_client import Counter, Gauge, Histogram

ACTIVITIES_SUBMITTED = Counter(
    "kinerja_reporting_activities_total",
    "Activity reports by region and outcome (accepted, duplicate, rejected)",
    ["region", "outcome"],
)
BATCH_SIZE = Histogram(
    "kinerja_reporting_batch_items",
    "Items per batch submission (offline sync)",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500),
)
REVIEWS = Counter("kinerja_reporting_reviews_total", "Verification decisions and corrections", ["action"])
EVIDENCE_UPLOADS = Counter(
    "kinerja_reporting_evidence_uploads_total",
    "Evidence uploads by outcome (stored, deduplicated, already_attached, refused)",
    ["outcome"],
)
EVIDENCE_BYTES = Counter("kinerja_reporting_evidence_bytes_total", "Bytes of evidence newly stored")
FIELD_VISITS = Counter("kinerja_reporting_field_visits_total", "Field visits logged")
FEED_MESSAGES = Counter("kinerja_reporting_feed_messages_total", "Live feed messages published")
FEED_PUBLISH_FAILURES = Counter(
    "kinerja_reporting_feed_publish_failures_total", "Live feed messages that could not be published"
)
FEED_SUBSCRIBERS = Gauge("kinerja_reporting_feed_subscribers", "Open live feed connections in this process")
FEED_READ_FAILURES = Counter(
    "kinerja_reporting_feed_read_failures_total",
    "Reads of the live feed's Redis streams that failed (the shared read is retried, streams stay open)",
)
FEED_STREAMS_ENDED = Counter(
    "kinerja_reporting_feed_streams_ended_total",
    "Live feed streams ended, by reason (client_left, server_stopping, fell_behind, read_failed)",
    ["reason"],
)
SUBMISSION_GROUP_SIZE = Histogram(
    "kinerja_reporting_submission_group_size",
    "Requests written in one transaction (group commit), by kind (single, batch)",
    ["kind"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250),
)
