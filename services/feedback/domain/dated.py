"""Dated configuration: a region's rule values change over time and old periods keep old rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from shared.refusals import Refusal

T = TypeVar("T")


@dataclass(frozen=True)
class Dated(Generic[T]):
    """One version of a configuration value, in force from ``effective_from`` until superseded."""

    effective_from: date
    value: T


def in_force(versions: Iterable[Dated[T]], on: date) -> T:
    """The version in force on a day: the latest one whose ``effective_from`` is not after it."""
    candidates = [version for version in versions if version.effective_from <= on]
    if not candidates:
        raise Refusal(
            "feedback.configuration_not_in_force",
            "No configuration is in force on %(on)s",
            params={"on": on.isoformat()},
        )
    effective_dates = [version.effective_from for version in candidates]
    latest = max(effective_dates)
    # Two versions starting the same day would make the answer depend on storage order.
    if effective_dates.count(latest) > 1:
        raise Refusal(
            "feedback.configuration_ambiguous",
            "More than one configuration takes effect on %(latest)s",
            params={"latest": latest.isoformat()},
        )
    return next(version.value for version in candidates if version.effective_from == latest)
