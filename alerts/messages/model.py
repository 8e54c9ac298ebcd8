"""What the message builders read: an alert and its changes, a chart's data, a digest.

Frozen dataclasses filled by the grouping and digest queries; the builders in this package
never touch the database. Construction checks the few fields whose wrong value would make
a message lie (unknown state or direction, naive timestamps) and turns their words into the
`tracker.vocabulary` enums the builders compare against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from tracker.vocabulary import (
    AlertKind,
    AlertState,
    BisectionState,
    ChangeDirection,
    Metric,
    RelationKind,
)


class InvalidAlertData(ValueError):
    """A summary whose fields cannot be rendered truthfully (unknown state, naive timestamp…)."""


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidAlertData(f"{name} must be timezone-aware, got {moment!r}")


def _as_member(instance: object, name: str, words: type[StrEnum]) -> None:
    """Set field ``name`` of a frozen ``instance`` to the member of ``words`` its value names."""
    value = getattr(instance, name)
    try:
        member = words(value)
    except ValueError:
        allowed = ", ".join(word.value for word in words)
        raise InvalidAlertData(f"{name} must be one of {allowed}; got {value!r}") from None
    object.__setattr__(instance, name, member)


@dataclass(frozen=True)
class ChangeSummary:
    """One confirmed change point of a track (series × metric × target interactivity)."""

    change_id: int
    series_id: int
    config: Mapping[str, Any]
    metric: Metric
    interactivity: float
    direction: ChangeDirection
    before: float
    after: float
    relative_change: float
    run_timestamp: datetime
    cost_before: Mapping[str, float] | None
    cost_after: Mapping[str, float] | None

    def __post_init__(self) -> None:
        _as_member(self, "metric", Metric)
        _as_member(self, "direction", ChangeDirection)
        _require_aware("run_timestamp", self.run_timestamp)


@dataclass(frozen=True)
class RelatedAlert:
    """An earlier or later alert on the same tracks: this alert `fixes` it, or is `fixed_by` it."""

    alert_id: int
    relation: RelationKind
    summary: str

    def __post_init__(self) -> None:
        _as_member(self, "relation", RelationKind)


@dataclass(frozen=True)
class BisectionSummary:
    """Where an alert's bisection stands: its state, the runs it used, the commits that may
    still be the culprit (first and last of them) and, once found, the culprit."""

    state: BisectionState
    runs_used: int
    max_runs: int
    remaining: int
    first_remaining: str | None
    last_remaining: str | None
    culprit: str | None
    culprit_title: str | None
    culprit_pull_request: int | None
    reason: str | None

    def __post_init__(self) -> None:
        _as_member(self, "state", BisectionState)


@dataclass(frozen=True)
class AlertSummary:
    """One triage unit: the change points of one engine whose commit ranges overlap
    (docs/alerts.md)."""

    alert_id: int
    engine: str
    state: AlertState
    commit_from: str | None
    commit_to: str | None
    compare_url: str | None
    range_start: datetime
    range_end: datetime
    components_changed: Mapping[str, tuple[str | None, str | None]]
    changes: tuple[ChangeSummary, ...]
    related: tuple[RelatedAlert, ...] = ()
    url: str | None = None
    bisection: BisectionSummary | None = None

    def __post_init__(self) -> None:
        _as_member(self, "state", AlertState)
        _require_aware("range_start", self.range_start)
        _require_aware("range_end", self.range_end)


@dataclass(frozen=True)
class SeriesPoint:
    """One night of the charted track."""

    timestamp: datetime
    value: float
    outlier: bool


@dataclass(frozen=True)
class FrontPoint:
    """One point of a sweep's Pareto front."""

    interactivity: float
    throughput: float


@dataclass(frozen=True)
class AlertChart:
    """Data for the PNG of an alert's most affected series: its track and the fronts around it."""

    title: str
    points: tuple[SeriesPoint, ...]
    change_timestamp: datetime
    before_level: float
    after_level: float
    front_before: tuple[FrontPoint, ...]
    front_after: tuple[FrontPoint, ...]
    interactivity: float


@dataclass(frozen=True)
class DigestLine:
    """One engine × GPU × config family: throughput now and `days` ago, and the steps between."""

    engine: str
    hardware: str
    family: str
    now_35: float | None
    then_35: float | None
    now_125: float | None
    then_125: float | None
    steps: tuple[ChangeSummary, ...]


@dataclass(frozen=True)
class DigestNotice:
    """An alert of a kind other than `step` made in the digest's period: its one-line summary."""

    alert_id: int
    kind: AlertKind
    engine: str
    state: AlertState
    summary: str

    def __post_init__(self) -> None:
        _as_member(self, "kind", AlertKind)
        _as_member(self, "state", AlertState)


@dataclass(frozen=True)
class Digest:
    """A weekly or month-over-month digest for the digest channel: the families' steps, and the
    stale and drift alerts of the period."""

    title: str
    days: int
    generated_at: datetime
    lines: tuple[DigestLine, ...]
    notices: tuple[DigestNotice, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("generated_at", self.generated_at)
        if self.days <= 0:
            raise InvalidAlertData(f"days must be positive, got {self.days}")


@dataclass(frozen=True)
class StaleConfig:
    """A config of a stale alert: its last run before it stopped, and whether data returned."""

    series_id: int
    config: Mapping[str, Any]
    last_run: datetime
    returned: bool

    def __post_init__(self) -> None:
        _require_aware("last_run", self.last_run)


@dataclass(frozen=True)
class StaleSummary:
    """Configs of one engine that stopped reporting on the same night while the engine goes on."""

    alert_id: int
    engine: str
    state: AlertState
    stopped_after: datetime  # the night of their last runs
    expected_gap_s: float  # the configs' median expected cadence
    engine_latest: datetime  # the engine's newest run when they were found stale
    configs: tuple[StaleConfig, ...]
    url: str | None = None

    def __post_init__(self) -> None:
        _as_member(self, "state", AlertState)
        _require_aware("stopped_after", self.stopped_after)
        _require_aware("engine_latest", self.engine_latest)


@dataclass(frozen=True)
class DriftStepSummary:
    """One step below the reporting threshold that a drift is made of."""

    timestamp: datetime
    relative_change: float


@dataclass(frozen=True)
class DriftTrack:
    """One track of a drift alert: its best level of the window against its level now."""

    series_id: int
    config: Mapping[str, Any]
    metric: Metric
    interactivity: float
    best: float
    best_timestamp: datetime
    level: float
    timestamp: datetime
    relative_change: float
    steps: tuple[DriftStepSummary, ...]
    untold: float | None = None  # the part no step alert tells (None: kept before it was)

    def __post_init__(self) -> None:
        _as_member(self, "metric", Metric)
        _require_aware("best_timestamp", self.best_timestamp)
        _require_aware("timestamp", self.timestamp)


@dataclass(frozen=True)
class DriftSummary:
    """One engine and slice (GPU, model, precision, ISL/OSL) whose level slid in small steps."""

    alert_id: int
    engine: str
    state: AlertState
    slice: str
    tracks: tuple[DriftTrack, ...]
    url: str | None = None

    def __post_init__(self) -> None:
        _as_member(self, "state", AlertState)


@dataclass(frozen=True)
class RankFlipSummary:
    """One target at which the leader changed: the new and old leaders' values on the newest
    day both ran, and how long the old leader had led."""

    target: float
    new_leader: str
    old_leader: str
    new_value: float
    old_value: float
    led_days: int


@dataclass(frozen=True)
class RankSummary:
    """A change of leader in one slice: engines on one GPU (`mode` "engines", `place` the GPU) or
    GPUs under one engine ("gpus", `place` the engine), by throughput per GPU or by cost per
    million tokens (`ranking`), from `day` on."""

    alert_id: int
    state: AlertState
    mode: str
    model: str
    precision: str
    isl: int
    osl: int
    place: str
    ranking: str
    day: date
    flips: tuple[RankFlipSummary, ...]
    url: str | None = None

    def __post_init__(self) -> None:
        _as_member(self, "state", AlertState)
