"""Processing a stored submission: frontier values at the targets, then change-point detection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.bulk import bulk_insert
from tracker.change_points import DetectionOutcome, detect_on_tracks
from tracker.detection import DetectionOptions
from tracker.errors import NotFound
from tracker.frontier import values_at_targets
from tracker.locks import track_locks_for
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
    locks, status ``processed`` — one transaction. A backfill only writes its frontier values
    and marks its tracks for the deferred retrospective pass (`run_deferred_detection`), which
    marks it processed. Idempotent: the submission row is locked for the duration, so two
    deliveries of the same task do not interleave, and finished work is not redone. Never
    commits.
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
    track_keys = write_frontier_values(session=session, submission=submission, targets=targets)
    track_ids = list(ensure_tracks(session=session, keys=track_keys).values())
    submission.frontier_written_at = now
    detection = None
    if submission.backfill:
        track_locks_for(session).lock(session, track_ids)
        session.execute(
            update(models.Track)
            .where(models.Track.id.in_(track_ids), models.Track.needs_full_analysis.is_(False))
            .values(needs_full_analysis=True)
        )
    else:
        detection = detect_on_tracks(session=session, track_ids=track_ids, options=options, now=now)
        submission.status = models.SubmissionStatus.PROCESSED
        submission.processed_at = now
        submission.error = None
    session.flush()
    return ProcessedSubmission(submission, detection)


def write_frontier_values(
    *, session: Session, submission: models.Submission, targets: Sequence[float]
) -> set[TrackKey]:
    """Each sweep's values at the targets, replacing any a crashed attempt left; the tracks."""
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
    values = [
        (sweep.id, metric, interactivity, sweep.config_id, sweep.timestamp, value)
        for sweep in sweeps
        for metric, interactivity, value in sweep_frontier_values(points.get(sweep.id, []), targets)
    ]
    bulk_insert(
        session,
        models.FrontierValue.__table__,  # type: ignore[arg-type]
        FRONTIER_VALUE_COLUMNS,
        (
            (sweep_id, metric.value, x, config_id, ts, value)
            for sweep_id, metric, x, config_id, ts, value in values
        ),
    )
    advance_latest_sweeps(
        session=session,
        sweeps=[(sweep.config_id, sweep.id, sweep.timestamp) for sweep in sweeps],
    )
    return {(config_id, metric, x) for _, metric, x, config_id, _, _ in values}


_ADVANCE_LATEST_SWEEP = (
    update(models.Config)
    .where(
        models.Config.id == bindparam("config"),
        or_(
            models.Config.latest_at.is_(None),
            models.Config.latest_at < bindparam("at"),
            and_(
                models.Config.latest_at == bindparam("at"),
                models.Config.latest_sweep_id < bindparam("sweep"),
            ),
        ),
    )
    .values(latest_sweep_id=bindparam("sweep"), latest_at=bindparam("at"))
)


def advance_latest_sweeps(*, session: Session, sweeps: Sequence[tuple[int, int, datetime]]) -> None:
    """Point each config at its newest sweep (by timestamp, then id): a sweep older than the
    one it points at (a backfill) leaves the pointer as it is. Config rows are updated in id
    order, so that concurrent workers wait for each other instead of deadlocking."""
    if sweeps:
        session.connection().execute(
            _ADVANCE_LATEST_SWEEP,
            [
                {"config": config_id, "sweep": sweep_id, "at": timestamp}
                for config_id, sweep_id, timestamp in sorted(sweeps)
            ],
        )


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


def backfill_frontier_outstanding(*, session: Session) -> bool:
    """Whether some backfill still waits for its frontier values (the deferred pass waits too)."""
    return (
        session.execute(
            select(models.Submission.id)
            .where(
                models.Submission.backfill.is_(True),
                models.Submission.status == models.SubmissionStatus.ACCEPTED,
                models.Submission.frontier_written_at.is_(None),
            )
            .limit(1)
        ).first()
        is not None
    )


def latest_backfill_write(*, session: Session) -> datetime | None:
    """When the newest frontier values of a backfill awaiting detection were written."""
    return session.execute(
        select(func.max(models.Submission.frontier_written_at)).where(
            models.Submission.backfill.is_(True),
            models.Submission.status == models.SubmissionStatus.ACCEPTED,
        )
    ).scalar()


def tracks_awaiting_detection(*, session: Session) -> list[int]:
    return list(
        session.execute(
            select(models.Track.id)
            .where(models.Track.needs_full_analysis.is_(True))
            .order_by(models.Track.id)
        ).scalars()
    )


def mark_detected_backfills(*, session: Session, now: datetime) -> int:
    """Mark processed the backfills whose frontier values are in and none of whose tracks still
    waits for the deferred pass. One statement: a backfill's flags and its frontier timestamp
    commit together, so it is seen either whole or not at all."""
    still_waiting = (
        select(models.Track.id)
        .join(models.Sweep, models.Sweep.config_id == models.Track.config_id)
        .where(
            models.Sweep.source_run_id == models.Submission.source_run_id,
            models.Track.needs_full_analysis.is_(True),
        )
        .exists()
    )
    result = session.execute(
        update(models.Submission)
        .where(
            models.Submission.backfill.is_(True),
            models.Submission.status == models.SubmissionStatus.ACCEPTED,
            models.Submission.frontier_written_at.is_not(None),
            ~still_waiting,
        )
        .values(status=models.SubmissionStatus.PROCESSED, processed_at=now, error=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
