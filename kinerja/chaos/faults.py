"""The seeded schedule of faults, and how each is injected: SIGKILL, a pause, a restart, readiness.

A target is a service's process (in ``kinerja up``'s shape one process holds the service's API, its
outbox relay and its consumer, so one kill takes all three) or one of the servers: the broker,
PostgreSQL, Redis. The time to recover runs from the kill until every service process answers
``/readyz`` ready again (each checks its database, the broker and Redis).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from kinerja.isolated import IsolatedPlatform
from kinerja.services import SERVICE_NAMES

SERVERS = ("broker", "postgres", "redis")
TARGETS = (*SERVICE_NAMES, *SERVERS)
#: How long a killed process stays down before its supervisor starts it again, at most.
LONGEST_DOWN_SECONDS = 3.0
RECOVERY_TIMEOUT_SECONDS = 180.0


@dataclass(frozen=True, slots=True)
class Fault:
    """Kill ``target`` ``at`` seconds into the load, start it again ``down_for`` seconds later."""

    at: float
    target: str
    down_for: float


@dataclass(frozen=True, slots=True)
class InjectedFault:
    """A fault as it happened: when, and how long until everything was ready again."""

    fault: Fault
    recovered_in: float
    #: Other processes that ended meanwhile (they must not: only the target was killed).
    casualties: tuple[str, ...] = ()


def schedule(
    seed: int, run: int, *, faults: int, duration: float, targets: tuple[str, ...] = TARGETS
) -> list[Fault]:
    """``faults`` faults spread over ``duration`` seconds of load, one per equal slot, each at a
    random moment of the slot's first half so that it has recovered before the next.

    The targets are drawn at random, or taken in turn when ``targets`` lists exactly ``faults`` of
    them (a test that must cover given kinds). The same seed and run give the same schedule.
    """
    draw = random.Random(f"kinerja-chaos:{seed}:{run}")
    slot = duration / faults
    in_turn = len(targets) == faults
    return [
        Fault(
            at=round(index * slot + draw.uniform(0.05, 0.5) * slot, 2),
            target=targets[index] if in_turn else draw.choice(targets),
            down_for=round(draw.uniform(0.0, LONGEST_DOWN_SECONDS), 2),
        )
        for index in range(faults)
    ]


def inject(platform: IsolatedPlatform, fault: Fault) -> InjectedFault:
    """Kill the target with SIGKILL, wait, start it again, and wait until every service is ready.

    Blocking (processes are started and waited for); a campaign runs it beside the load in a thread.
    """
    killed_at = time.monotonic()
    if fault.target in SERVERS:
        platform.infrastructure.crash(fault.target)
    else:
        platform.services.stop(fault.target, kill=True)
    time.sleep(fault.down_for)
    if fault.target in SERVERS:
        platform.infrastructure.restart(fault.target)
    else:
        platform.services.start(fault.target)
    casualties = restart_the_fallen(platform)
    platform.services.wait_healthy(timeout=RECOVERY_TIMEOUT_SECONDS)
    return InjectedFault(fault, time.monotonic() - killed_at, casualties)


def restart_the_fallen(platform: IsolatedPlatform) -> tuple[str, ...]:
    """Start again any process that ended though nobody killed it, and name it (a defect)."""
    fallen: list[str] = []
    while (server := platform.infrastructure.exited()) is not None:
        name, status = server
        fallen.append(f"{name} (exit {status})")
        platform.infrastructure.restart(name)
    while (ended := platform.services.exited()) is not None:
        name, status = ended
        fallen.append(f"{name} (exit {status})")
        platform.services.processes.pop(name)
        platform.services.start(name)
    return tuple(fallen)
