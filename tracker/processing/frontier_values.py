"""Frontier values: each sweep's throughput at the target interactivities, for its tracks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.bulk import bulk_insert
from tracker.processing.frontier import values_at_targets
from tracker.processing.tracks import TrackKey
from tracker.vocabulary import Metric

FRONTIER_VALUE_COLUMNS = ("sweep_id", "metric", "interactivity", "config_id", "timestamp", "value")


SweepRow = Row[int, int, datetime]  # id, config_id, timestamp


def write_frontier_values(
    *, session: Session, sweeps: Sequence[SweepRow], targets: Sequence[float]
) -> set[TrackKey]:
    """Each sweep's values at the targets; the tracks they belong to."""
    points = sweep_points(session=session, sweep_ids=[sweep.id for sweep in sweeps])
    rows: list[tuple[int, str, float, int, datetime, float]] = []
    track_keys: set[TrackKey] = set()
    for sweep in sweeps:
        for metric, x, value in sweep_frontier_values(points.get(sweep.id, []), targets):
            rows.append((sweep.id, metric.value, x, sweep.config_id, sweep.timestamp, value))
            track_keys.add((sweep.config_id, metric, x))
    bulk_insert(
        session,
        models.FrontierValue.__table__,  # type: ignore[arg-type]
        FRONTIER_VALUE_COLUMNS,
        rows,
    )
    return track_keys


MeasuredPoint = tuple[float, float, float | None]
"""One row's (median_intvty, tput_per_gpu, output_tput_per_gpu)."""


def sweep_points(*, session: Session, sweep_ids: Sequence[int]) -> dict[int, list[MeasuredPoint]]:
    """The (interactivity, throughput, output throughput) points of each sweep."""
    points: dict[int, list[MeasuredPoint]] = defaultdict(list)
    rows = session.execute(
        select(
            models.ResultRow.sweep_id,
            models.ResultRow.median_intvty,
            models.ResultRow.tput_per_gpu,
            models.ResultRow.output_tput_per_gpu,
        ).where(models.ResultRow.sweep_id.in_(sweep_ids))
    )
    for sweep_id, interactivity, tput, output_tput in rows:
        points[sweep_id].append((interactivity, tput, output_tput))
    return points


def sweep_frontier_values(
    points: Sequence[MeasuredPoint], targets: Sequence[float]
) -> list[tuple[Metric, float, float]]:
    """(metric, target interactivity, value) for both throughput metrics of one sweep.

    The output-throughput front uses only the points that report output throughput.
    """
    values: list[tuple[Metric, float, float]] = []
    interactivity = [point[0] for point in points]
    for target, value in values_at_targets(interactivity, [p[1] for p in points], targets).items():
        values.append((Metric.TPUT_PER_GPU, target, value))
    with_output = [(p[0], p[2]) for p in points if p[2] is not None]
    output_values = values_at_targets(
        [x for x, _ in with_output], [y for _, y in with_output], targets
    )
    for target, value in output_values.items():
        values.append((Metric.OUTPUT_TPUT_PER_GPU, target, value))
    return values
