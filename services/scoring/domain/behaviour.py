"""Behaviour rating (perilaku kerja) from a submitted BerAKHLAK assessment.

The feedback service scores each of the seven values 1..5, where 3 means "as expected"; it may also
propose a rating itself, which then takes precedence. Scoring only reads these facts: the rater still
confirms or overrides the behaviour rating like the results rating.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from services.scoring.domain.rating import BehaviourValue, Rating

#: The feedback contract's value keys and rating words, mapped to this service's enums.
VALUE_KEYS: Mapping[str, BehaviourValue] = MappingProxyType(
    {
        "service_oriented": BehaviourValue.BERORIENTASI_PELAYANAN,
        "accountable": BehaviourValue.AKUNTABEL,
        "competent": BehaviourValue.KOMPETEN,
        "harmonious": BehaviourValue.HARMONIS,
        "loyal": BehaviourValue.LOYAL,
        "adaptive": BehaviourValue.ADAPTIF,
        "collaborative": BehaviourValue.KOLABORATIF,
    }
)
_RATING_WORDS: Mapping[str, Rating] = MappingProxyType(
    {
        "above_expectation": Rating.ABOVE,
        "meets_expectation": Rating.MEETS,
        "below_expectation": Rating.BELOW,
        "above": Rating.ABOVE,
        "meets": Rating.MEETS,
        "below": Rating.BELOW,
    }
)


@dataclass(frozen=True)
class BehaviourPolicy:
    """Where the 1..5 scale turns into the three ratings (3 = as expected)."""

    above_min: Fraction = Fraction(4)
    meets_min: Fraction = Fraction(3)


def parse_rating(word: str | None) -> Rating | None:
    """A rating named in either service's words, or None when absent or unknown."""
    if word is None:
        return None
    return _RATING_WORDS.get(word.strip().lower())


def _rating_of(score: Fraction, policy: BehaviourPolicy) -> Rating:
    if score >= policy.above_min:
        return Rating.ABOVE
    if score >= policy.meets_min:
        return Rating.MEETS
    return Rating.BELOW


def value_ratings(
    scores: Mapping[str, int], policy: BehaviourPolicy | None = None
) -> dict[BehaviourValue, Rating]:
    """The rating of each BerAKHLAK value scored (unknown keys are ignored)."""
    policy = policy or BehaviourPolicy()
    return {
        VALUE_KEYS[key]: _rating_of(Fraction(score), policy)
        for key, score in scores.items()
        if key in VALUE_KEYS
    }


def behaviour_rating(
    proposed: str | None, scores: Mapping[str, int], policy: BehaviourPolicy | None = None
) -> Rating | None:
    """The behaviour rating an assessment stands for: its own proposal, else the mean of its scores."""
    named = parse_rating(proposed)
    if named is not None:
        return named
    known = [Fraction(score) for key, score in scores.items() if key in VALUE_KEYS]
    if not known:
        return None
    return _rating_of(sum(known, Fraction(0)) / len(known), policy or BehaviourPolicy())
