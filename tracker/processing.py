"""Processing a stored submission: each sweep's Pareto front read at the target interactivities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.bulk import bulk_insert
from tracker.errors import NotFound
from tracker.frontier import values_at_targets

FRONTIER_VALUE_COLUMNS = ("sweep_id", "metric", "interactivity", "config_id", "timestamp", "value")


def process_submission(
    *, session: Session, submission_id: int, targets: Sequence[float], now: datetime
) -> models.Submission:
    """Write the frontier values of every sweep of a submission, then mark it processed.

    Idempotent: a submission already processed is left as it is; a repeated run after a crash
    replaces whatever a previous attempt wrote. The submission row is locked for the duration
    so that two deliveries of the same task do not interleave. Never commits.
    """
    submission = session.execute(
        select(models.Submission).where(models.Submission.id == submission_id).with_for_update()
    ).scalar_one_or_none()
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if submission.status is models.SubmissionStatus.PROCESSED:
        return submission
    sweeps = session.execute(
        select(models.Sweep.id, models.Sweep.config_id, models.Sweep.timestamp).where(
            models.Sweep.source_run_id == submission.source_run_id
        )
    ).all()
    sweep_ids = [sweep.id for sweep in sweeps]
    session.execute(
        delete(models.FrontierValue).where(models.FrontierValue.sweep_id.in_(sweep_ids))
    )
    points = sweep_points(session=session, sweep_ids=sweep_ids)
    bulk_insert(
        session,
        models.FrontierValue.__table__,  # type: ignore[arg-type]
        FRONTIER_VALUE_COLUMNS,
        (
            (sweep.id, metric.value, interactivity, sweep.config_id, sweep.timestamp, value)
            for sweep in sweeps
            for metric, interactivity, value in sweep_frontier_values(
                points.get(sweep.id, []), targets
            )
        ),
    )
    session.execute(
        update(models.Submission)
        .where(models.Submission.id == submission_id)
        .values(status=models.SubmissionStatus.PROCESSED, processed_at=now, error=None)
    )
    session.refresh(submission)
    return submission


SweepPoint = tuple[float, float, float | None]  # median_intvty, tput_per_gpu, output_tput_per_gpu


def sweep_points(*, session: Session, sweep_ids: Sequence[int]) -> dict[int, list[SweepPoint]]:
    """The (interactivity, throughput, output throughput) points of each sweep."""
    points: dict[int, list[SweepPoint]] = defaultdict(list)
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
    points: Sequence[SweepPoint], targets: Sequence[float]
) -> list[tuple[models.Metric, float, float]]:
    """(metric, target interactivity, value) for both throughput metrics of one sweep.

    The output-throughput front uses only the points that report output throughput.
    """
    values: list[tuple[models.Metric, float, float]] = []
    interactivity = [point[0] for point in points]
    for target, value in values_at_targets(interactivity, [p[1] for p in points], targets).items():
        values.append((models.Metric.TPUT_PER_GPU, target, value))
    with_output = [(p[0], p[2]) for p in points if p[2] is not None]
    output_values = values_at_targets(
        [x for x, _ in with_output], [y for _, y in with_output], targets
    )
    for target, value in output_values.items():
        values.append((models.Metric.OUTPUT_TPUT_PER_GPU, target, value))
    return values


def mark_failed(*, session: Session, submission_id: int, error: str) -> None:
    """Record that processing failed for good, with the reason users will see."""
    session.execute(
        update(models.Submission)
        .where(models.Submission.id == submission_id)
        .values(status=models.SubmissionStatus.FAILED, error=error[:2000])
    )


def stale_submission_ids(*, session: Session, received_before: datetime) -> list[int]:
    """Submissions still waiting for a worker since before ``received_before``."""
    return list(
        session.execute(
            select(models.Submission.id)
            .where(
                models.Submission.status == models.SubmissionStatus.ACCEPTED,
                models.Submission.received_at < received_before,
            )
            .order_by(models.Submission.id)
        ).scalars()
    )
