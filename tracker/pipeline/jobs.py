"""The pipeline's jobs as transaction boundaries: each opens a session, calls a service,
commits, and says what should follow (`tracker.pipeline.stages` decides it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker import models
from tracker.clock import utc_now
from tracker.db.engine import transaction
from tracker.errors import NotFound
from tracker.ingest import retention
from tracker.processing import assemblies, backfill_pass, submissions
from tracker.processing.candidates import queue_failed_candidate_report
from tracker.processing.change_points import detect_on_tracks
from tracker.processing.sweeps import ProcessingOptions
from tracker.settings import Settings
from tracker.vocabulary import SubmissionStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessingOutcome:
    awaits_backfill_pass: bool  # a backfill: the retrospective pass comes later
    changes_found: bool  # detection found or retracted change points: group alerts
    bisection_result: bool = False  # a run a bisection asked for: advance bisections
    report_due: bool = False  # a pull request's candidate: report it on GitHub
    assembly_due_in_s: float | None = None
    """A post under a sweep key: when its assembly may be complete (0: it said final)."""


NOTHING_TO_FOLLOW = ProcessingOutcome(awaits_backfill_pass=False, changes_found=False)


def processing_options(settings: Settings) -> ProcessingOptions:
    return ProcessingOptions(
        targets=settings.interactivity_targets,
        detection=settings.detection_options,
        max_failed_fraction=settings.max_failed_request_fraction,
        report_pull_requests=settings.github_token is not None,
        drift=settings.drift_options,
    )


def run_process_submission(
    *, session_factory: sessionmaker[Session], settings: Settings, submission_id: int
) -> ProcessingOutcome:
    """Process one submission; a deterministic failure marks it failed with the reason.

    Says what should follow. Database outages (``OperationalError``) propagate, so that the
    caller retries later; any other error would fail again on retry, so it is recorded on the
    submission instead.
    """
    try:
        with transaction(session_factory) as session:
            processed = submissions.process_submission(
                session=session,
                submission_id=submission_id,
                options=processing_options(settings),
                now=utc_now(),
            )
            submission = processed.submission
            return ProcessingOutcome(
                awaits_backfill_pass=(
                    submission.backfill and submission.status is SubmissionStatus.ACCEPTED
                ),
                changes_found=processed.detection is not None and processed.detection.changed,
                bisection_result=processed.bisection_id is not None,
                report_due=processed.report_queued,
                assembly_due_in_s=_assembly_due_in_s(session, submission, settings),
            )
    except NotFound:
        log.warning("submission %s vanished before it was processed", submission_id)
        return NOTHING_TO_FOLLOW
    except OperationalError:
        raise
    except Exception as error:
        log.exception("processing submission %s failed", submission_id)
        with transaction(session_factory) as session:
            submissions.mark_failed(
                session=session,
                submission_id=submission_id,
                error=f"{type(error).__name__}: {error}",
            )
            report_due = settings.github_token is not None and queue_failed_candidate_report(
                session=session, submission_id=submission_id, now=utc_now()
            )
        return replace(NOTHING_TO_FOLLOW, report_due=report_due)


def _assembly_due_in_s(
    session: Session, submission: models.Submission, settings: Settings
) -> float | None:
    if submission.assembly_id is None or submission.status is not SubmissionStatus.ACCEPTED:
        return None
    assembly = session.get(models.SweepAssembly, submission.assembly_id)
    if assembly is None or assembly.final_at is not None:
        return 0.0
    return settings.sweep_assembly_seconds


@dataclass(frozen=True)
class AssemblyOutcome:
    assembled: int
    changes_found: bool


def run_sweep_assembly(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> AssemblyOutcome:
    """Process every assembly that is complete, each in its own transaction; a deterministic
    failure marks that assembly's posts failed with the reason (outages propagate, so that the
    stage is retried)."""
    window_s = settings.sweep_assembly_seconds
    with session_factory() as session:
        due = assemblies.due_assemblies(session=session, now=utc_now(), window_s=window_s)
    assembled, changes_found = 0, False
    for assembly_id in due:
        try:
            with transaction(session_factory) as session:
                detection = assemblies.assemble(
                    session=session,
                    assembly_id=assembly_id,
                    options=processing_options(settings),
                    now=utc_now(),
                    window_s=window_s,
                )
        except OperationalError:
            raise
        except Exception as error:
            log.exception("assembling sweep assembly %s failed", assembly_id)
            with transaction(session_factory) as session:
                assemblies.mark_assembly_failed(
                    session=session,
                    assembly_id=assembly_id,
                    error=f"{type(error).__name__}: {error}",
                    now=utc_now(),
                )
            continue
        if detection is not None:
            assembled += 1
            changes_found = changes_found or detection.changed
            log.info("assembled sweep assembly %s", assembly_id)
    return AssemblyOutcome(assembled, changes_found)


def run_requeue_stale_submissions(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    enqueue: Callable[[int], None],
) -> list[int]:
    """Enqueue again the submissions left ``accepted`` longer than the stale delay."""
    cutoff = utc_now() - timedelta(seconds=settings.stale_submission_seconds)
    with session_factory() as session:
        stale = submissions.stale_submission_ids(session=session, received_before=cutoff)
    for submission_id in stale:
        enqueue(submission_id)
    if stale:
        log.info("re-enqueued %d stale submissions", len(stale))
    return stale


PAYLOAD_BATCH_SIZE = 500
"""Payloads deleted per transaction: short ones, so ingest never waits long behind retention."""


def run_payload_retention(
    *,
    session_factory: sessionmaker[Session],
    retention_days: float | None,
    batch_size: int = PAYLOAD_BATCH_SIZE,
) -> int:
    """Delete, batch by batch, the payloads older than ``retention_days`` (none when 0 or None);
    how many were deleted."""
    if not retention_days:
        return 0
    cutoff = utc_now() - timedelta(days=retention_days)
    deleted = 0
    while True:
        with transaction(session_factory) as session:
            batch = retention.delete_old_payloads(
                session=session, received_before=cutoff, limit=batch_size
            )
        deleted += batch
        if batch < batch_size:
            break
    if deleted:
        log.info("deleted %d raw payloads older than %g days", deleted, retention_days)
    return deleted


@dataclass(frozen=True)
class BackfillPassPlan:
    batches: tuple[tuple[int, ...], ...]
    """Flagged tracks in batches; batches may be analysed in parallel, in any order."""
    retry_in_s: float | None
    """Set when the pass must wait: backfill data is still arriving."""


@dataclass(frozen=True)
class BackfillPassProgress:
    tracks: int
    backfills: int
    retry_in_s: float | None


def plan_written_backfills(*, session_factory: sessionmaker[Session]) -> int:
    """Flag for the pass the tracks of the backfills written so far, once every analysis that
    held one of those tracks before has ended (`backfill_pass.plan_pass`). The wait takes the
    tracks' locks `backfill_pass.BATCH_TRACKS` at a time, each batch in a transaction of its own,
    so that the planner holds no more locks than a batch of the pass. Returns how many backfills
    were claimed."""
    with session_factory() as session:
        scope = backfill_pass.pass_scope(session=session)
    for batch in backfill_pass.batches(scope.track_ids):
        with transaction(session_factory) as session:
            backfill_pass.wait_for_analyses(session=session, track_ids=batch)
    with transaction(session_factory) as session:
        return backfill_pass.plan_pass(session=session, now=utc_now(), scope=scope)


def plan_backfill_pass(
    *, session_factory: sessionmaker[Session], stalled_after_s: float
) -> BackfillPassPlan:
    """The backfill pass, in batches, once the backfills' frontier values are in.

    Nothing while some backfill's frontier values are still being written (the worker writing
    the last one plans again) or were written less than `backfill_pass.quiet_seconds` ago. Then
    the backfills written so far are planned (their tracks flagged) and the flagged tracks
    handed out, once: a planner that finds nothing new to plan hands out nothing, unless the
    pass has stalled (`backfill_pass.pass_stalled`: a batch was lost with its worker).
    """
    with session_factory() as session:
        if backfill_pass.backfill_frontier_outstanding(session=session):
            return BackfillPassPlan((), retry_in_s=None)
        writes = backfill_pass.unplanned_backfill_writes(session=session)
    claimed = 0
    if writes is not None:
        wait_s = backfill_pass.quiet_seconds(writes) - (utc_now() - writes.latest).total_seconds()
        if wait_s > 0:
            return BackfillPassPlan((), retry_in_s=wait_s)
        claimed = plan_written_backfills(session_factory=session_factory)
    with session_factory() as session:
        if not claimed and not backfill_pass.pass_stalled(
            session=session, now=utc_now(), stalled_after_s=stalled_after_s
        ):
            return BackfillPassPlan((), retry_in_s=None)
        pending = backfill_pass.tracks_awaiting_pass(session=session)
    return BackfillPassPlan(backfill_pass.batches(pending), retry_in_s=None)


def analyse_backfill_batch(
    *, session_factory: sessionmaker[Session], settings: Settings, track_ids: Sequence[int]
) -> BackfillPassProgress:
    """Analyse one batch from scratch (tracks another batch took meanwhile are skipped), then
    mark processed the backfills none of whose tracks waits any more."""
    with transaction(session_factory) as session:
        outcome = detect_on_tracks(
            session=session,
            track_ids=track_ids,
            options=settings.detection_options,
            drift=settings.drift_options,
            now=utc_now(),
            full=True,
            only_flagged=True,
        )
    with transaction(session_factory) as session:
        finished = backfill_pass.mark_backfills_processed(session=session, now=utc_now())
    if outcome.tracks or finished:
        log.info("backfill pass: %d tracks, %d backfills done", outcome.tracks, finished)
    return BackfillPassProgress(outcome.tracks, finished, retry_in_s=None)


def run_backfill_pass(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> BackfillPassProgress:
    """The whole backfill pass in this process, batch after batch (for scripts and tests; the
    pipeline hands the batches out as stages)."""
    plan = plan_backfill_pass(
        session_factory=session_factory, stalled_after_s=settings.stale_submission_seconds
    )
    tracks = backfills = 0
    for batch in plan.batches:
        done = analyse_backfill_batch(
            session_factory=session_factory, settings=settings, track_ids=batch
        )
        tracks, backfills = tracks + done.tracks, backfills + done.backfills
    return BackfillPassProgress(tracks, backfills, retry_in_s=plan.retry_in_s)
