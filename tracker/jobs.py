"""Background jobs as transaction boundaries: each opens a session, calls a service, commits.

The Celery tasks in ``workers/`` and the in-process runner of the embedded default both call
these, so the two modes run the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker import deferred, processing
from tracker.change_points import detect_on_tracks
from tracker.db import transaction
from tracker.errors import NotFound
from tracker.models import SubmissionStatus
from tracker.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ProcessingOutcome:
    awaits_deferred_detection: bool  # a backfill: the retrospective pass comes later
    changes_found: bool  # detection found, moved or retracted change points: group alerts


NOTHING_TO_FOLLOW = ProcessingOutcome(awaits_deferred_detection=False, changes_found=False)


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
            processed = processing.process_submission(
                session=session,
                submission_id=submission_id,
                targets=settings.interactivity_targets,
                options=settings.detection_options,
                now=utc_now(),
            )
            submission = processed.submission
            return ProcessingOutcome(
                awaits_deferred_detection=(
                    submission.backfill and submission.status is SubmissionStatus.ACCEPTED
                ),
                changes_found=processed.detection is not None and processed.detection.changed,
            )
    except NotFound:
        log.warning("submission %s vanished before it was processed", submission_id)
        return NOTHING_TO_FOLLOW
    except OperationalError:
        raise
    except Exception as error:
        log.exception("processing submission %s failed", submission_id)
        with transaction(session_factory) as session:
            processing.mark_failed(
                session=session,
                submission_id=submission_id,
                error=f"{type(error).__name__}: {error}",
            )
        return NOTHING_TO_FOLLOW


def requeue_stale_submissions(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    enqueue: Callable[[int], None],
) -> list[int]:
    """Enqueue again the submissions left ``accepted`` longer than the stale delay."""
    cutoff = utc_now() - timedelta(seconds=settings.stale_submission_seconds)
    with session_factory() as session:
        stale = processing.stale_submission_ids(session=session, received_before=cutoff)
    for submission_id in stale:
        enqueue(submission_id)
    if stale:
        log.info("re-enqueued %d stale submissions", len(stale))
    return stale


DEFERRED_DETECTION_BATCH = 250
"""Tracks analysed per transaction in the deferred pass (bounded lock time and memory)."""

BACKFILL_QUIET_GAPS = 10
"""The deferred pass starts once no backfill has been written for this many of the stream's
typical gaps between writes, so that a history still streaming in gets one pass, not one per
submission. A pass started by a pause longer than that is correct, only repeated for the tracks
that more data then reaches."""
BACKFILL_QUIET_MIN_SECONDS = 0.25
BACKFILL_QUIET_MAX_SECONDS = 2.0
"""Also the wait after a single backfill, whose rhythm is unknown."""


def backfill_quiet_seconds(writes: deferred.BackfillWrites) -> float:
    if writes.typical_gap_s is None:
        return BACKFILL_QUIET_MAX_SECONDS
    quiet_s = BACKFILL_QUIET_GAPS * writes.typical_gap_s
    return min(max(quiet_s, BACKFILL_QUIET_MIN_SECONDS), BACKFILL_QUIET_MAX_SECONDS)


@dataclass(frozen=True)
class DeferredPlan:
    chunks: tuple[tuple[int, ...], ...]
    """Flagged tracks in batches; batches may be analysed in parallel, in any order."""
    retry_in_s: float | None
    """Set when the pass must wait: backfill data is still arriving."""


@dataclass(frozen=True)
class DeferredPass:
    tracks: int
    backfills: int
    retry_in_s: float | None


def plan_deferred_detection(
    *, session_factory: sessionmaker[Session], stalled_after_s: float
) -> DeferredPlan:
    """The retrospective pass of backfills, in batches, once their frontier values are in.

    Nothing while some backfill's frontier values are still being written (the worker writing
    the last one plans again) or were written less than `backfill_quiet_seconds` ago. Then the
    backfills written so far are planned (their tracks flagged) and the flagged tracks handed
    out, once: a planner that finds nothing new to plan hands out nothing, unless the pass has
    stalled (`deferred.pass_stalled`: a batch was lost with its worker).
    """
    with session_factory() as session:
        if deferred.backfill_frontier_outstanding(session=session):
            return DeferredPlan((), retry_in_s=None)
        writes = deferred.unplanned_backfill_writes(session=session)
    claimed = 0
    if writes is not None:
        wait_s = backfill_quiet_seconds(writes) - (utc_now() - writes.latest).total_seconds()
        if wait_s > 0:
            return DeferredPlan((), retry_in_s=wait_s)
        with transaction(session_factory) as session:
            claimed = deferred.plan_backfill_detection(session=session, now=utc_now())
    with session_factory() as session:
        if not claimed and not deferred.pass_stalled(
            session=session, now=utc_now(), stalled_after_s=stalled_after_s
        ):
            return DeferredPlan((), retry_in_s=None)
        pending = deferred.tracks_awaiting_detection(session=session)
    chunks = tuple(
        tuple(pending[start : start + DEFERRED_DETECTION_BATCH])
        for start in range(0, len(pending), DEFERRED_DETECTION_BATCH)
    )
    return DeferredPlan(chunks, retry_in_s=None)


def detect_deferred_tracks(
    *, session_factory: sessionmaker[Session], settings: Settings, track_ids: Sequence[int]
) -> DeferredPass:
    """Analyse one batch from scratch (tracks another batch took meanwhile are skipped), then
    mark processed the backfills none of whose tracks waits any more."""
    with transaction(session_factory) as session:
        outcome = detect_on_tracks(
            session=session,
            track_ids=track_ids,
            options=settings.detection_options,
            now=utc_now(),
            full=True,
            only_flagged=True,
        )
    with transaction(session_factory) as session:
        finished = deferred.mark_detected_backfills(session=session, now=utc_now())
    if outcome.tracks or finished:
        log.info("deferred detection: %d tracks, %d backfills done", outcome.tracks, finished)
    return DeferredPass(outcome.tracks, finished, retry_in_s=None)


def run_deferred_detection(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> DeferredPass:
    """The whole deferred pass in this process (the embedded default; beat's fallback)."""
    plan = plan_deferred_detection(
        session_factory=session_factory, stalled_after_s=settings.stale_submission_seconds
    )
    tracks = backfills = 0
    for chunk in plan.chunks:
        done = detect_deferred_tracks(
            session_factory=session_factory, settings=settings, track_ids=chunk
        )
        tracks, backfills = tracks + done.tracks, backfills + done.backfills
    return DeferredPass(tracks, backfills, retry_in_s=plan.retry_in_s)
