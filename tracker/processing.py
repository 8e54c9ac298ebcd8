"""Processing a stored submission: frontier values at the targets, then change-point detection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.bulk import bulk_insert
from tracker.change_points import DetectionOutcome, detect_on_tracks
from tracker.detection import DetectionOptions
from tracker.errors import NotFound
from tracker.frontier import values_at_targets
from tracker.latest_sweeps import advance_latest_sweeps
from tracker.tracks import TrackKey, ensure_tracks

FRONTIER_VALUE_COLUMNS = ("sweep_id", "metric", "interactivity", "config_id", "timestamp", "value")


@dataclass(frozen=True)
class ProcessedSubmission:
    submission: models.Submission
    detection: DetectionOutcome | None  # None: no detection ran (yet) for this submission


def process_submission(
    *,
    session: Session,
    submission_id: int,
    targets: Sequence[float],
    options: DetectionOptions,
    now: datetime,
) -> ProcessedSubmission:
    """Write a submission's frontier values, then run detection on every track it touched.

    A nightly submission is processed at once: frontier values, detection under the tracks'
    locks, status ``processed`` — one transaction. A backfill only writes its frontier values;
    its deferred pass (`tracker.deferred`, then `detect_on_tracks` in batches) creates
    and analyses its tracks and marks it processed. Idempotent: the submission row is locked
    for the duration, so two deliveries of the same task do not interleave, and finished work
    is not redone (frontier values commit with ``frontier_written_at``, so no attempt finds
    another's values). Never commits.
    """
    submission = session.execute(
        select(models.Submission).where(models.Submission.id == submission_id).with_for_update()
    ).scalar_one_or_none()
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if submission.status is not models.SubmissionStatus.ACCEPTED or (
        submission.frontier_written_at is not None
    ):
        return ProcessedSubmission(submission, None)  # done, failed, or awaiting the pass
    sweeps = session.execute(
        select(models.Sweep.id, models.Sweep.config_id, models.Sweep.timestamp).where(
            models.Sweep.source_run_id == submission.source_run_id
        )
    ).all()
    track_keys = write_frontier_values(session=session, sweeps=sweeps, targets=targets)
    submission.frontier_written_at = now
    detection = None
    if not submission.backfill:
        track_ids = list(ensure_tracks(session=session, keys=track_keys).ids.values())
        detection = detect_on_tracks(session=session, track_ids=track_ids, options=options, now=now)
        submission.status = models.SubmissionStatus.PROCESSED
        submission.processed_at = now
        submission.error = None
    # Last, so that the config rows it locks are held only until the commit.
    advance_latest_sweeps(
        session=session,
        sweeps=[(sweep.config_id, sweep.id, sweep.timestamp) for sweep in sweeps],
    )
    session.flush()
    return ProcessedSubmission(submission, detection)


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
    """Submissions whose frontier values a worker has not written since ``received_before``."""
    return list(
        session.execute(
            select(models.Submission.id)
            .where(
                models.Submission.status == models.SubmissionStatus.ACCEPTED,
                models.Submission.frontier_written_at.is_(None),
                models.Submission.received_at < received_before,
            )
            .order_by(models.Submission.id)
        ).scalars()
    )
