"""Processing a stored submission: frontier values at the targets, then change-point detection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.detection import DetectionOptions
from tracker.errors import NotFound
from tracker.processing.change_points import DetectionOutcome, detect_on_tracks
from tracker.processing.frontier_values import write_frontier_values
from tracker.processing.latest_sweeps import advance_latest_sweeps
from tracker.processing.tracks import ensure_tracks
from tracker.vocabulary import SubmissionPurpose, SubmissionStatus


@dataclass(frozen=True)
class ProcessedSubmission:
    submission: models.Submission
    detection: DetectionOutcome | None  # None: no detection ran (yet) for this submission
    bisection_id: int | None = None  # a bisection's run: that bisection judges it next


def process_submission(
    *,
    session: Session,
    submission_id: int,
    targets: Sequence[float],
    options: DetectionOptions,
    now: datetime,
) -> ProcessedSubmission:
    """Write a submission's frontier values, then run detection on every track it touched.

    A nightly submission is processed at once: frontier values, detection under the tracks' locks,
    status ``processed`` — one transaction. A backfill only writes its frontier values; its backfill
    pass (`tracker.processing.backfill_pass`, then `detect_on_tracks` in batches) creates and
    analyses its tracks and marks it processed. Idempotent: the submission row is locked for the
    duration, so two deliveries of the same task do not interleave, and finished work is not redone
    (frontier values commit with ``frontier_written_at``, so no attempt finds another's values).
    A run a bisection asked for is only marked processed: it never enters tracks, frontier values
    or latest values; the bisection reads its sweeps. Never commits.
    """
    submission = session.execute(
        select(models.Submission).where(models.Submission.id == submission_id).with_for_update()
    ).scalar_one_or_none()
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if submission.status is not SubmissionStatus.ACCEPTED or (
        submission.frontier_written_at is not None
    ):
        return ProcessedSubmission(submission, None)  # done, failed, or awaiting the pass
    purpose, bisection_id = session.execute(
        select(models.SourceRun.purpose, models.SourceRun.bisection_id).where(
            models.SourceRun.id == submission.source_run_id
        )
    ).one()
    if purpose is not SubmissionPurpose.HISTORY:
        submission.frontier_written_at = submission.processed_at = now
        submission.status = SubmissionStatus.PROCESSED
        return ProcessedSubmission(submission, None, bisection_id=bisection_id)
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
        submission.status = SubmissionStatus.PROCESSED
        submission.processed_at = now
        submission.error = None
    # Last, so that the config rows it locks are held only until the commit.
    advance_latest_sweeps(
        session=session,
        sweeps=[(sweep.config_id, sweep.id, sweep.timestamp) for sweep in sweeps],
    )
    session.flush()
    return ProcessedSubmission(submission, detection)


def mark_failed(*, session: Session, submission_id: int, error: str) -> None:
    """Record that processing failed for good, with the reason users will see."""
    session.execute(
        update(models.Submission)
        .where(models.Submission.id == submission_id)
        .values(status=SubmissionStatus.FAILED, error=error[:2000])
    )


def stale_submission_ids(*, session: Session, received_before: datetime) -> list[int]:
    """Submissions whose frontier values a worker has not written since ``received_before``."""
    return list(
        session.execute(
            select(models.Submission.id)
            .where(
                models.Submission.status == SubmissionStatus.ACCEPTED,
                models.Submission.frontier_written_at.is_(None),
                models.Submission.received_at < received_before,
            )
            .order_by(models.Submission.id)
        ).scalars()
    )
