"""What the message builders read: an alert and its changes, a chart's data, a digest.

Frozen dataclasses filled by the grouping and digest queries; the builders in this package
never touch the database. Construction checks the few fields whose wrong value would make
a message lie (unknown state or direction, naive timestamps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.models import AlertState, ChangeDirection, Metric

ALERT_STATES: tuple[str, ...] = tuple(state.value for state in AlertState)
DIRECTIONS: tuple[str, ...] = tuple(direction.value for direction in ChangeDirection)
METRICS: tuple[str, ...] = tuple(metric.value for metric in Metric)
RELATIONS: tuple[str, ...] = ("fixes", "fixed_by")


class InvalidAlertData(ValueError):
    """A summary whose fields cannot be rendered truthfully (unknown state, naive timestamp…)."""


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidAlertData(f"{name} must be timezone-aware, got {moment!r}")


def _require_one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidAlertData(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True)
class ChangeSummary:
    """One confirmed change point of a track (series × metric × target interactivity)."""

    change_id: int
    series_id: int
    config: Mapping[str, Any]
    metric: str
    interactivity: float
    direction: str
    before: float
    after: float
    relative_change: float
    run_timestamp: datetime
    cost_before: Mapping[str, float] | None
    cost_after: Mapping[str, float] | None

    def __post_init__(self) -> None:
        _require_one_of("metric", self.metric, METRICS)
        _require_one_of("direction", self.direction, DIRECTIONS)
        _require_aware("run_timestamp", self.run_timestamp)


@dataclass(frozen=True)
class RelatedAlert:
    """An earlier or later alert on the same tracks: this alert `fixes` it, or is `fixed_by` it."""

    alert_id: int
    relation: str
    summary: str

    def __post_init__(self) -> None:
        _require_one_of("relation", self.relation, RELATIONS)


@dataclass(frozen=True)
class AlertSummary:
    """One triage unit: the change points of one engine whose commit ranges overlap (DESIGN §8)."""

    alert_id: int
    engine: str
    state: str
    commit_from: str | None
    commit_to: str | None
    compare_url: str | None
    range_start: datetime
    range_end: datetime
    components_changed: Mapping[str, tuple[str | None, str | None]]
    changes: tuple[ChangeSummary, ...]
    related: tuple[RelatedAlert, ...] = ()
    url: str | None = None

    def __post_init__(self) -> None:
        _require_one_of("state", self.state, ALERT_STATES)
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
class Digest:
    """A weekly or month-over-month digest for the digest channel."""

    title: str
    days: int
    generated_at: datetime
    lines: tuple[DigestLine, ...]

    def __post_init__(self) -> None:
        _require_aware("generated_at", self.generated_at)
        if self.days <= 0:
            raise InvalidAlertData(f"days must be positive, got {self.days}")
