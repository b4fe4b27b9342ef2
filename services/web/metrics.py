"""Every metric the web process declares beyond the shared HTTP metrics."""

from prometheus_client import Counter, Gauge, Histogram

API_CALL_SECONDS = Histogram(
    "kinerja_web_api_call_seconds",
    "Calls from the web process to a service's API",
    ["service", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RENDER_SECONDS = Histogram(
    "kinerja_web_render_seconds",
    "Server-side template rendering",
    ["template"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1),
)
SIGN_INS = Counter("kinerja_web_sign_ins_total", "Completed sign-ins", ["method"])
SIGN_IN_FAILURES = Counter("kinerja_web_sign_in_failures_total", "Sign-ins refused", ["reason"])
CSRF_REFUSALS = Counter("kinerja_web_csrf_refusals_total", "Form posts refused for a missing or wrong token")
TOKEN_REFRESHES = Counter("kinerja_web_token_refreshes_total", "Access tokens refreshed", ["outcome"])
FEED_RELAYS = Gauge("kinerja_web_feed_relays", "Raters' live feeds relayed to browsers now")
FEED_RELAY_EVENTS = Counter("kinerja_web_feed_relay_events_total", "Live feed events relayed to browsers")
FEED_RELAYS_ENDED = Counter(
    "kinerja_web_feed_relays_ended_total",
    "Relayed live feeds ended, by reason (client_left, server_stopping, fell_behind, upstream_ended, "
    "upstream_unavailable)",
    ["reason"],
)
