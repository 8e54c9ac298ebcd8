"""Processing a stored submission: frontier values at the targets, then change-point detection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.errors import NotFound
from tracker.processing.candidates import process_candidate
from tracker.processing.change_points import DetectionOutcome
from tracker.processing.sweeps import ProcessingOptions, process_sweeps
from tracker.vocabulary import SubmissionPurpose, SubmissionStatus


@dataclass(frozen=True)
class ProcessedSubmission:
    submission: models.Submission
    detection: DetectionOutcome | None  # None: no detection ran (yet) for this submission
    bisection_id: int | None = None  # a bisection's run: that bisection judges it next
    report_queued: bool = False  # a candidate's pull request report is due on GitHub


def process_submission(
    *, session: Session, submission_id: int, options: ProcessingOptions, now: datetime
) -> ProcessedSubmission:
    """Write a submission's frontier values, then run detection on every track it touched.

    A nightly submission is processed at once: frontier values, detection under the tracks' locks,
    status ``processed`` — one transaction. A backfill only writes its frontier values; its backfill
    pass (`tracker.processing.backfill_pass`, then `detect_on_tracks` in batches) creates and
    analyses its tracks and marks it processed. A post under a sweep key waits for its assembly
    (`tracker.processing.assemblies`): nothing is done here. Idempotent: the submission row is
    locked for the duration, so two deliveries of the same task do not interleave, and finished
    work is not redone (frontier values commit with ``frontier_written_at``, so no attempt finds
    another's values). A run a bisection asked for is only marked processed: it never
    enters tracks, frontier values or latest values; the bisection reads its sweeps. A candidate
    gets its frontier values apart (`candidate_frontier_values`), and nothing else: no track,
    detection or latest value. Never commits.
    """
    submission = session.execute(
        select(models.Submission).where(models.Submission.id == submission_id).with_for_update()
    ).scalar_one_or_none()
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if (
        submission.status is not SubmissionStatus.ACCEPTED
        or submission.frontier_written_at is not None
        or submission.assembly_id is not None
    ):
        return ProcessedSubmission(submission, None)  # done, failed, or awaiting its pass
    source = session.get_one(models.SourceRun, submission.source_run_id)
    sweeps = session.execute(
        select(models.Sweep.id, models.Sweep.config_id, models.Sweep.timestamp).where(
            models.Sweep.source_run_id == submission.source_run_id
        )
    ).all()
    report_queued = source.purpose is SubmissionPurpose.CANDIDATE and process_candidate(
        session=session,
        submission_id=submission.id,
        source=source,
        sweeps=sweeps,
        options=options,
        now=now,
    )
    if source.purpose is not SubmissionPurpose.HISTORY:
        submission.frontier_written_at = submission.processed_at = now
        submission.status = SubmissionStatus.PROCESSED
        return ProcessedSubmission(
            submission, None, bisection_id=source.bisection_id, report_queued=report_queued
        )
    detection = process_sweeps(
        session=session,
        sweeps=sweeps,
        options=options,
        now=now,
        detect=not submission.backfill,
    )
    submission.frontier_written_at = now
    if not submission.backfill:
        submission.status = SubmissionStatus.PROCESSED
        submission.processed_at = now
        submission.error = None
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
    """Submissions whose frontier values a worker has not written since ``received_before``
    (posts under a sweep key wait for their assembly, which the assembly stage finds)."""
    return list(
        session.execute(
            select(models.Submission.id)
            .where(
                models.Submission.status == SubmissionStatus.ACCEPTED,
                models.Submission.frontier_written_at.is_(None),
                models.Submission.assembly_id.is_(None),
                models.Submission.received_at < received_before,
            )
            .order_by(models.Submission.id)
        ).scalars()
    )
