"""Objectivity: rater leniency or severity, override rates, implausible activity volumes, shared evidence."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from services.scoring.domain.rating import RatingDecision, RatingKind
from shared.labels import LabelledEnum


class ObjectivityFlag(LabelledEnum):
    """A pattern in a rater's decisions worth an auditor's look."""

    LENIENT = "LENIENT", "Cenderung murah hati", "Lenient"
    SEVERE = "SEVERE", "Cenderung keras", "Severe"
    FREQUENT_OVERRIDES = "FREQUENT_OVERRIDES", "Sering mengubah usulan", "Frequent overrides"


@dataclass(frozen=True)
class ObjectivityPolicy:
    """Thresholds of the rater objectivity check; part of a region's dated rule set."""

    min_team_size: int = 5
    leniency_threshold: Fraction = Fraction(1, 2)
    override_rate_threshold: Fraction = Fraction(2, 5)


@dataclass(frozen=True)
class RaterObjectivity:
    """How far one rater's final ratings depart from the data-driven proposals for their team.

    ``leniency_index`` is the mean of (final rank − proposed rank): above zero lenient, below severe.
    Flags are raised only when the team reaches the minimum size (``assessed``).
    """

    rater_id: str
    team_size: int
    leniency_index: Fraction
    override_rate: Fraction
    assessed: bool
    flags: frozenset[ObjectivityFlag]


def rater_objectivity(
    decisions: Iterable[RatingDecision],
    policy: ObjectivityPolicy | None = None,
    kind: RatingKind = RatingKind.RESULTS,
) -> tuple[RaterObjectivity, ...]:
    """Leniency index, override rate and flags per rater, from their decisions of one kind."""
    policy = policy or ObjectivityPolicy()
    by_rater: dict[str, list[RatingDecision]] = defaultdict(list)
    for decision in decisions:
        if decision.proposal.kind is kind:
            by_rater[decision.rater_id].append(decision)
    report = []
    for rater_id in sorted(by_rater):
        team = by_rater[rater_id]
        index = Fraction(sum(d.shift for d in team), len(team))
        rate = Fraction(sum(1 for d in team if d.is_override), len(team))
        assessed = len(team) >= policy.min_team_size
        flags: set[ObjectivityFlag] = set()
        if assessed:
            if index >= policy.leniency_threshold:
                flags.add(ObjectivityFlag.LENIENT)
            if index <= -policy.leniency_threshold:
                flags.add(ObjectivityFlag.SEVERE)
            if rate >= policy.override_rate_threshold:
                flags.add(ObjectivityFlag.FREQUENT_OVERRIDES)
        report.append(RaterObjectivity(rater_id, len(team), index, rate, assessed, frozenset(flags)))
    return tuple(report)


class VolumeDirection(LabelledEnum):
    """Which side of the peer median an anomalous volume lies on."""

    HIGH = "HIGH", "Jauh di atas rekan sejawat", "Far above peers"
    LOW = "LOW", "Jauh di bawah rekan sejawat", "Far below peers"


@dataclass(frozen=True)
class ActivityVolume:
    """How much activity one employee reported in a period."""

    employee_id: str
    job_type: str
    volume: Fraction


@dataclass(frozen=True)
class VolumePolicy:
    """Thresholds of the activity-volume anomaly check; part of a region's dated rule set.

    ``min_peers`` is the least number of employees of a job type (the employee included) for a robust
    comparison; the default threshold 3.5 is Iglewicz and Hoaglin's for the modified z-score.
    """

    z_threshold: Fraction = Fraction(7, 2)
    min_peers: int = 5
    flag_low: bool = False


@dataclass(frozen=True)
class VolumeAnomaly:
    """An activity volume implausible against peers of the same job type."""

    employee_id: str
    job_type: str
    volume: Fraction
    peer_median: Fraction
    robust_z: Fraction
    direction: VolumeDirection


# Scale factors making MAD (and the mean absolute deviation) consistent with a normal standard deviation.
_MAD_FACTOR = Fraction("0.6745")
_MEAN_AD_FACTOR = Fraction("1.253314")


def median(values: Sequence[Fraction]) -> Fraction:
    """Exact median of a non-empty sequence."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def robust_z_scores(values: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Modified z-scores 0.6745·(x − median)/MAD; with MAD zero, the mean absolute deviation stands in.

    All zero when the values do not vary at all.
    """
    centre = median(values)
    deviations = [abs(v - centre) for v in values]
    mad = median(deviations)
    if mad:
        return tuple(_MAD_FACTOR * (v - centre) / mad for v in values)
    mean_ad = sum(deviations, Fraction(0)) / len(deviations)
    if mean_ad:
        # More than half the peers report the same volume: MAD is zero, fall back as IBM SPSS does.
        return tuple((v - centre) / (_MEAN_AD_FACTOR * mean_ad) for v in values)
    return tuple(Fraction(0) for _ in values)


def volume_anomalies(
    volumes: Iterable[ActivityVolume], policy: VolumePolicy | None = None
) -> tuple[VolumeAnomaly, ...]:
    """Employees whose activity volume is implausible against peers in the same job type."""
    policy = policy or VolumePolicy()
    by_job: dict[str, list[ActivityVolume]] = defaultdict(list)
    for item in volumes:
        by_job[item.job_type].append(item)
    anomalies = []
    for job_type in sorted(by_job):
        peers = sorted(by_job[job_type], key=lambda v: v.employee_id)
        if len(peers) < policy.min_peers:
            continue
        values = [p.volume for p in peers]
        centre = median(values)
        for peer, z in zip(peers, robust_z_scores(values), strict=True):
            if z > policy.z_threshold:
                anomalies.append(
                    VolumeAnomaly(peer.employee_id, job_type, peer.volume, centre, z, VolumeDirection.HIGH)
                )
            elif policy.flag_low and z < -policy.z_threshold:
                anomalies.append(
                    VolumeAnomaly(peer.employee_id, job_type, peer.volume, centre, z, VolumeDirection.LOW)
                )
    return tuple(anomalies)


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class EvidenceClaim:
    """An employee's claim of an evidence file (bukti dukung), identified by its SHA-256."""

    employee_id: str
    sha256: str
    contribution_id: str = ""

    def __post_init__(self) -> None:
        normalised = self.sha256.lower()
        if not _SHA256.match(normalised):
            raise ValueError(f"not a SHA-256 hex digest: {self.sha256!r}")
        object.__setattr__(self, "sha256", normalised)


@dataclass(frozen=True)
class SharedEvidence:
    """One evidence file claimed by several employees."""

    sha256: str
    employee_ids: tuple[str, ...]
    contribution_ids: tuple[str, ...]


def shared_evidence(claims: Iterable[EvidenceClaim]) -> tuple[SharedEvidence, ...]:
    """Evidence files claimed by more than one employee."""
    by_hash: dict[str, list[EvidenceClaim]] = defaultdict(list)
    for claim in claims:
        by_hash[claim.sha256].append(claim)
    found = []
    for digest in sorted(by_hash):
        employees = sorted({c.employee_id for c in by_hash[digest]})
        if len(employees) > 1:
            contributions = tuple(sorted({c.contribution_id for c in by_hash[digest] if c.contribution_id}))
            found.append(SharedEvidence(digest, tuple(employees), contributions))
    return tuple(found)
