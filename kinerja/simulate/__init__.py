"""``kinerja simulate``: a load generator driving all four services of a running platform.

It builds its own population through the planning API (regions, units, heads as raters, employees
with approved work plans, as the demo loader does), waits until reporting has learned every plan
from planning's events and feedback every unit, then sends requests at a chosen rate: activities
one by one as a connected field app does and in offline-sync batches, raters' verifications,
citizens' survey responses (with service tickets) and complaints, and scorecard reads. Clients
resend what got no answer, with the same ids. At the end it prints, per kind of request, how many
were answered 2xx, refused and unanswered, and the activities' latency percentiles;
``--ledger`` writes every write answered 2xx by its id. ``--activities-only`` sends activity
reports alone (``--batch``: offline batches), as the ingest benchmarks do.
"""

from kinerja.simulate.activities import (
    ACTIVITY_TEMPLATES,
    ActivityFactory,
    Submitter,
    stream_activity,
    wait_until_reporting_accepts,
)
from kinerja.simulate.command import add_arguments, client, run, service_clients, set_up, simulate
from kinerja.simulate.ledger import AnsweredActivity, AnsweredSurvey, Ledger
from kinerja.simulate.mixed import (
    DEFAULT_MIX,
    Clients,
    MixedLoad,
    MixedOutcome,
    send_what_is_left,
    stream_mixed,
)
from kinerja.simulate.outcome import Outcome, percentiles
from kinerja.simulate.population import (
    Population,
    SimulatedEmployee,
    SimulatedUnit,
    TokenMint,
    build_population,
    nip_for,
    prepare_feedback,
)
from kinerja.simulate.progress import NoProgress, PlainProgress, Progress, RichProgress, make_progress

__all__ = [
    "ACTIVITY_TEMPLATES",
    "DEFAULT_MIX",
    "ActivityFactory",
    "AnsweredActivity",
    "AnsweredSurvey",
    "Clients",
    "Ledger",
    "MixedLoad",
    "MixedOutcome",
    "NoProgress",
    "Outcome",
    "PlainProgress",
    "Population",
    "Progress",
    "RichProgress",
    "SimulatedEmployee",
    "SimulatedUnit",
    "Submitter",
    "TokenMint",
    "add_arguments",
    "build_population",
    "client",
    "make_progress",
    "nip_for",
    "percentiles",
    "prepare_feedback",
    "run",
    "send_what_is_left",
    "service_clients",
    "set_up",
    "simulate",
    "stream_activity",
    "stream_mixed",
    "wait_until_reporting_accepts",
]
