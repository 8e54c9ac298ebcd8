"""Frontier values: each sweep's throughput, latency and energy at the target interactivities,
for its tracks, with the points failed requests degraded left out (docs/frontier.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.bulk import bulk_insert
from tracker.processing.degraded import DegradedPoint, RequestCounts, degraded_points
from tracker.processing.frontier import pareto_front, readings_along_front, target_label
from tracker.processing.tracks import TrackKey
from tracker.vocabulary import THROUGHPUT_METRICS, Metric, NoValuesReason

FRONTIER_VALUE_COLUMNS = ("sweep_id", "metric", "interactivity", "config_id", "timestamp", "value")
CANDIDATE_VALUE_COLUMNS = ("sweep_id", "metric", "interactivity", "config_id", "value")


SweepRow = Row[int, int, datetime]  # id, config_id, timestamp


class MeasuredPoint(NamedTuple):
    """One row of a sweep, as its front needs it."""

    median_intvty: float
    tput_per_gpu: float
    output_tput_per_gpu: float | None
    conc: int
    completed: int | None
    requested: int | None
    failed: int | None
    median_ttft_s: float | None = None
    p99_ttft_s: float | None = None
    joules_per_output_token: float | None = None


@dataclass(frozen=True)
class WrittenFrontier:
    track_keys: set[TrackKey]
    """The tracks of the values written."""
    sweeps_with_values: set[int]
    """The sweeps that got at least one frontier value."""


def write_frontier_values(
    *,
    session: Session,
    sweeps: Sequence[SweepRow],
    targets: Sequence[float],
    max_failed_fraction: float,
    candidate: bool = False,
) -> WrittenFrontier:
    """Each sweep's values at the targets, written in bulk; a sweep with degraded points or
    without values records it (`sweeps.degraded`, `sweeps.no_values_reason`). A candidate's
    values go to `candidate_frontier_values`, where no track reads them (no track keys)."""
    points = sweep_points(session=session, sweep_ids=[sweep.id for sweep in sweeps])
    rows: list[tuple[int, str, float, int, datetime, float]] = []
    track_keys: set[TrackKey] = set()
    with_values: set[int] = set()
    notes: list[dict[str, Any]] = []
    for sweep in sweeps:
        front = sweep_front(points.get(sweep.id, []), targets, max_failed_fraction)
        for metric, x, value in front.values:
            rows.append((sweep.id, metric.value, x, sweep.config_id, sweep.timestamp, value))
            track_keys.add((sweep.config_id, metric, x))
        if front.values:
            with_values.add(sweep.id)
        if front.degraded or front.no_values_reason is not None:
            notes.append(
                {
                    "id": sweep.id,
                    "degraded": front.degraded_record(),
                    "no_values_reason": front.no_values_reason,
                }
            )
    if candidate:
        bulk_insert(
            session,
            models.CandidateFrontierValue.__table__,  # type: ignore[arg-type]
            CANDIDATE_VALUE_COLUMNS,
            [
                (sweep_id, metric, x, config_id, value)
                for sweep_id, metric, x, config_id, _, value in rows
            ],
        )
        track_keys = set()
    else:
        bulk_insert(
            session,
            models.FrontierValue.__table__,  # type: ignore[arg-type]
            FRONTIER_VALUE_COLUMNS,
            rows,
        )
    if notes:
        session.execute(update(models.Sweep), notes)  # executemany by primary key
    return WrittenFrontier(track_keys, with_values)


def degraded_concs(*, session: Session, sweep_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """The concurrencies processing left out of each sweep's fronts (sweeps without any are
    absent)."""
    return {
        sweep_id: frozenset(point["conc"] for point in degraded["points"])
        for sweep_id, degraded in session.execute(
            select(models.Sweep.id, models.Sweep.degraded).where(
                models.Sweep.id.in_(sweep_ids), models.Sweep.degraded.is_not(None)
            )
        )
    }


def sweep_points(*, session: Session, sweep_ids: Sequence[int]) -> dict[int, list[MeasuredPoint]]:
    """The points of each sweep, in no particular order."""
    points: dict[int, list[MeasuredPoint]] = defaultdict(list)
    rows = session.connection().execute(
        select(
            models.ResultRow.sweep_id,
            models.ResultRow.median_intvty,
            models.ResultRow.tput_per_gpu,
            models.ResultRow.output_tput_per_gpu,
            models.ResultRow.conc,
            models.ResultRow.completed,
            models.ResultRow.requested,
            models.ResultRow.failed,
            models.ResultRow.median_ttft_s,
            models.ResultRow.p99_ttft_s,
            models.ResultRow.joules_per_output_token,
        ).where(models.ResultRow.sweep_id.in_(sweep_ids))
    )
    for sweep_id, *measured in rows:
        points[sweep_id].append(MeasuredPoint(*measured))
    return points


@dataclass(frozen=True)
class SweepFront:
    """What one sweep's points give: values, the points left out and the targets withheld."""

    values: list[tuple[Metric, float, float]]
    """(metric, target interactivity, value)."""
    degraded: list[DegradedPoint]
    lost_from_front: frozenset[int]
    """Concurrencies of degraded points that the `tput_per_gpu` front of all points holds."""
    withheld: dict[Metric, list[float]]
    """Targets whose value depends on a degraded point: not written."""
    no_values_reason: NoValuesReason | None

    def degraded_record(self) -> dict[str, Any] | None:
        """The JSON a sweep keeps in `degraded`, null when no point is degraded."""
        if not self.degraded:
            return None
        return {
            "points": [
                {
                    "conc": point.conc,
                    "failed": point.failed,
                    "requested": point.requested,
                    "failed_fraction": point.failed_fraction,
                    "requested_inferred": point.requested_inferred,
                    "reason": point.reason,
                    "on_front": point.conc in self.lost_from_front,
                }
                for point in self.degraded
            ],
            "withheld": {
                metric.value: [target_label(target) for target in targets]
                for metric, targets in self.withheld.items()
                if targets
            },
        }


def sweep_front(
    points: Sequence[MeasuredPoint], targets: Sequence[float], max_failed_fraction: float
) -> SweepFront:
    """Values of one sweep at the targets, degraded points left out of its fronts."""
    degraded = _degraded(points, max_failed_fraction)
    degraded_concs = frozenset(point.conc for point in degraded)
    values, withheld = front_values(points, degraded_concs, targets)
    lost: frozenset[int] = frozenset()
    if degraded:
        on_front = pareto_front([p.median_intvty for p in points], [p.tput_per_gpu for p in points])
        lost = frozenset(points[i].conc for i in on_front) & degraded_concs
    return SweepFront(
        values=values,
        degraded=degraded,
        lost_from_front=lost,
        withheld=withheld,
        no_values_reason=None if values else _no_values_reason(points, targets),
    )


def _degraded(points: Sequence[MeasuredPoint], max_failed_fraction: float) -> list[DegradedPoint]:
    if all(point.completed is None and point.failed is None for point in points):
        return []  # the common case: the rows state no request counts
    counts = [RequestCounts(p.conc, p.completed, p.requested, p.failed) for p in points]
    return degraded_points(counts, max_failed_fraction)


def front_values(
    points: Sequence[MeasuredPoint], degraded_concs: Collection[int], targets: Sequence[float]
) -> tuple[list[tuple[Metric, float, float]], dict[Metric, list[float]]]:
    """(metric, target, value) for every metric, read off the fronts of the points that are not
    degraded; a target whose value the degraded points would change is withheld instead (second
    element, by metric). The output-throughput front uses only the points that report output
    throughput; latency and energy are read along the `tput_per_gpu` front."""
    values: list[tuple[Metric, float, float]] = []
    withheld: dict[Metric, list[float]] = {}
    for metric in Metric:
        every = _metric_points(points, metric, ())
        clean = _metric_points(points, metric, degraded_concs) if degraded_concs else every
        clean_values = readings_along_front(*clean, targets)
        kept = clean_values
        if len(clean[0]) < len(every[0]):
            every_values = readings_along_front(*every, targets)
            kept = {t: v for t, v in clean_values.items() if every_values.get(t) == v}
            withheld[metric] = sorted((clean_values.keys() | every_values.keys()) - kept.keys())
        values.extend((metric, target, value) for target, value in kept.items())
    return values, withheld


_READING: dict[Metric, Callable[[MeasuredPoint], float | None]] = {
    Metric.TPUT_PER_GPU: attrgetter("tput_per_gpu"),
    Metric.OUTPUT_TPUT_PER_GPU: attrgetter("output_tput_per_gpu"),
    Metric.MEDIAN_TTFT: attrgetter("median_ttft_s"),
    Metric.P99_TTFT: attrgetter("p99_ttft_s"),
    Metric.JOULES_PER_TOKEN: attrgetter("joules_per_output_token"),
}


def _metric_points(
    points: Sequence[MeasuredPoint], metric: Metric, left_out: Collection[int]
) -> tuple[list[float], list[float], list[float | None]]:
    """(interactivities, throughputs the front is ranked by, readings of `metric`) of the points
    but `left_out`: a throughput metric is its own front, of the points that report it; the
    others are read along the `tput_per_gpu` front of every point."""
    reading = _READING[metric]
    kept = [p for p in points if p.conc not in left_out]
    if metric in THROUGHPUT_METRICS:
        pairs = [(p.median_intvty, value) for p in kept if (value := reading(p)) is not None]
        values = [y for _, y in pairs]
        return [x for x, _ in pairs], values, list(values)
    return [p.median_intvty for p in kept], [p.tput_per_gpu for p in kept], list(map(reading, kept))


def _no_values_reason(points: Sequence[MeasuredPoint], targets: Sequence[float]) -> NoValuesReason:
    """Why a sweep has no frontier value: judged on the `tput_per_gpu` front of all its points
    (degraded ones included), so that a front that reaches no target says so even when failed
    requests took points off it."""
    interactivity = [point.median_intvty for point in points]
    front = pareto_front(interactivity, [point.tput_per_gpu for point in points])
    if len(front) < 2:
        return NoValuesReason.ONE_POINT
    lowest, highest = interactivity[front[0]], interactivity[front[-1]]
    if any(lowest <= target <= highest for target in targets):
        return (
            NoValuesReason.DEGRADED
        )  # reaches a target: only the degraded points stood in the way
    if highest < min(targets):
        return NoValuesReason.BELOW_TARGETS
    if lowest > max(targets):
        return NoValuesReason.ABOVE_TARGETS
    return NoValuesReason.BETWEEN_TARGETS
