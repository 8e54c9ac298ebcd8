"""A track over time: one series' values of one metric at one target interactivity, with its
change points, suspected changes and outlier runs."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import models
from tracker.errors import FieldError, InvalidQuery
from tracker.processing.frontier import target_label
from tracker.processing.tracks import find_track
from tracker.reads.changes import Change, track_changes
from tracker.reads.pricing import PRICE_PER_GPU_HOUR, PriceSet, cost_per_mtok, price_per_gpu_hour
from tracker.reads.series import require_series
from tracker.vocabulary import ChangeDirection, Metric


@dataclass(frozen=True)
class TrendPoint:
    timestamp: datetime
    sweep_id: int
    commit: str | None
    engine_version: str | None
    value: float
    outlier: bool
    """A run the detector set aside as a one-off."""
    front_lost_points: list[int]
    """Concurrencies failed requests took off this run's front (the value does not depend on
    them: a value that would is withheld instead)."""


@dataclass(frozen=True)
class SuspectedChange:
    """A change in the last runs, not yet confirmed by enough later runs."""

    timestamp: datetime
    direction: ChangeDirection
    relative_change: float


@dataclass(frozen=True)
class WithheldRun:
    """A run whose value at the target was withheld: failed requests took points off its front
    that the value depends on (docs/frontier.md#failed-requests)."""

    timestamp: datetime
    sweep_id: int
    commit: str | None
    reasons: list[str]
    """Each left-out point: its conc and how many requests failed."""


@dataclass(frozen=True)
class Trend:
    series_id: int
    metric: TrendMetric
    interactivity: float
    price_set: PriceSet | None
    """Only for cost_per_mtok."""
    higher_is_better: bool
    """Throughput: true; TTFT, energy and cost: a rise is a regression."""
    points: list[TrendPoint]
    changes: list[Change]
    suspected: list[SuspectedChange]
    withheld: list[WithheldRun]


class TrendMetric(enum.StrEnum):
    """The tracked metrics (`Metric`), and cost per million tokens computed from throughput."""

    TPUT_PER_GPU = "tput_per_gpu"
    OUTPUT_TPUT_PER_GPU = "output_tput_per_gpu"
    MEDIAN_TTFT = "median_ttft"
    P99_TTFT = "p99_ttft"
    JOULES_PER_TOKEN = "joules_per_token"  # noqa: S105 (a metric, not a secret)
    COST_PER_MTOK = "cost_per_mtok"

    @property
    def higher_is_better(self) -> bool:
        return self is not TrendMetric.COST_PER_MTOK and Metric(self.value).higher_is_better


def require_target(interactivity: float, targets: Sequence[float]) -> None:
    """Tracks exist only at the target interactivities; anything else is a 422 listing them."""
    if interactivity not in targets:
        raise InvalidQuery(
            [
                FieldError(
                    loc=("query", "interactivity"),
                    msg="interactivity must be one of the targets "
                    f"{', '.join(map(target_label, targets))}, got {target_label(interactivity)}",
                )
            ]
        )


def track_points(
    *,
    session: Session,
    config_id: int,
    metric: Metric,
    interactivity: float,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[TrendPoint]:
    """A track's stored values over time, oldest first, its outlier runs marked; runs whose front
    does not reach the target have no value and are absent."""
    track = find_track(
        session=session, config_id=config_id, metric=metric, interactivity=interactivity
    )
    return _points(
        session,
        config_id=config_id,
        metric=metric,
        interactivity=interactivity,
        since=since,
        until=until,
        outliers=set(track.outlier_sweep_ids) if track is not None else set(),
    )


def _points(
    session: Session,
    *,
    config_id: int,
    metric: Metric,
    interactivity: float,
    since: datetime | None,
    until: datetime | None,
    outliers: set[int],
) -> list[TrendPoint]:
    query = (
        select(
            models.FrontierValue.timestamp,
            models.FrontierValue.sweep_id,
            models.FrontierValue.value,
            models.SourceRun.commit,
            models.SourceRun.engine_version,
            models.Sweep.degraded,
        )
        .join(models.Sweep, models.Sweep.id == models.FrontierValue.sweep_id)
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(
            models.FrontierValue.config_id == config_id,
            models.FrontierValue.metric == metric,
            models.FrontierValue.interactivity == interactivity,
        )
        .order_by(models.FrontierValue.timestamp, models.FrontierValue.sweep_id)
    )
    if since is not None:
        query = query.where(models.FrontierValue.timestamp >= since)
    if until is not None:
        query = query.where(models.FrontierValue.timestamp < until)
    return [
        TrendPoint(
            timestamp=timestamp,
            sweep_id=sweep_id,
            commit=commit,
            engine_version=engine_version,
            value=value,
            outlier=sweep_id in outliers,
            front_lost_points=_lost_from_front(degraded),
        )
        for timestamp, sweep_id, value, commit, engine_version, degraded in session.execute(query)
    ]


def _lost_from_front(degraded: dict[str, Any] | None) -> list[int]:
    if degraded is None:
        return []
    return [point["conc"] for point in degraded["points"] if point["on_front"]]


def trend(
    *,
    session: Session,
    series_id: int,
    metric: TrendMetric,
    interactivity: float,
    price_set: PriceSet,
    since: datetime | None,
    until: datetime | None,
    targets: Sequence[float],
) -> Trend:
    """A track's values over time, oldest first, with its change points and suspected changes;
    cost per million tokens is computed from the throughput track and the price set."""
    config = require_series(session, series_id)
    require_target(interactivity, targets)
    is_cost = metric is TrendMetric.COST_PER_MTOK
    if is_cost and price_per_gpu_hour(config, price_set) is None:
        raise InvalidQuery(
            [
                FieldError(
                    loc=("query", "metric"),
                    msg=f"no published GPU-hour price for hardware {config.hardware!r}; "
                    f"cost is known for {', '.join(PRICE_PER_GPU_HOUR)}",
                )
            ]
        )
    stored_metric = Metric.TPUT_PER_GPU if is_cost else Metric(metric.value)
    track = find_track(
        session=session, config_id=series_id, metric=stored_metric, interactivity=interactivity
    )
    points = _points(
        session,
        config_id=series_id,
        metric=stored_metric,
        interactivity=interactivity,
        since=since,
        until=until,
        outliers=set(track.outlier_sweep_ids) if track is not None else set(),
    )
    withheld = withheld_runs(
        session,
        config_id=series_id,
        metric=stored_metric,
        interactivity=interactivity,
        since=since,
        until=until,
    )
    if is_cost:
        # Cost is shown, not run through detection: a price change is not a performance change.
        points = [_as_cost(point, config, price_set) for point in points]
        track = None
    return Trend(
        series_id=series_id,
        metric=metric,
        interactivity=interactivity,
        price_set=price_set if is_cost else None,
        higher_is_better=metric.higher_is_better,
        points=points,
        changes=(
            track_changes(
                session=session,
                config_id=series_id,
                metric=stored_metric,
                interactivity=interactivity,
            )
            if track is not None
            else []
        ),
        suspected=[
            SuspectedChange(
                timestamp=datetime.fromisoformat(suspected["timestamp"]),
                direction=ChangeDirection(suspected["direction"]),
                relative_change=suspected["relative_change"],
            )
            for suspected in (track.suspected if track is not None else [])
        ],
        withheld=withheld,
    )


def withheld_runs(
    session: Session,
    *,
    config_id: int,
    metric: Metric,
    interactivity: float,
    since: datetime | None,
    until: datetime | None,
) -> list[WithheldRun]:
    """The runs, oldest first, whose value of `metric` at `interactivity` was withheld."""
    label = target_label(interactivity)
    query = (
        select(
            models.Sweep.id, models.Sweep.timestamp, models.Sweep.degraded, models.SourceRun.commit
        )
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(models.Sweep.config_id == config_id, models.Sweep.degraded.is_not(None))
        .order_by(models.Sweep.timestamp, models.Sweep.id)
    )
    if since is not None:
        query = query.where(models.Sweep.timestamp >= since)
    if until is not None:
        query = query.where(models.Sweep.timestamp < until)
    return [
        WithheldRun(
            timestamp=timestamp,
            sweep_id=sweep_id,
            commit=commit,
            reasons=[f"conc {point['conc']}: {point['reason']}" for point in degraded["points"]],
        )
        for sweep_id, timestamp, degraded, commit in session.execute(query)
        if label in degraded["withheld"].get(metric.value, [])
    ]


def _as_cost(point: TrendPoint, config: models.Config, price_set: PriceSet) -> TrendPoint:
    cost = cost_per_mtok(point.value, config, price_set)
    assert cost is not None, "prices exist for this hardware and throughput is positive"
    return replace(point, value=cost)
