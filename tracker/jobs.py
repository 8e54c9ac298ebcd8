"""Background jobs as transaction boundaries: each opens a session, calls a service, commits.

The Celery tasks in ``workers/`` and the in-process runner of the embedded default both call
these, so the two modes run the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker import processing
from tracker.change_points import detect_on_tracks
from tracker.db import transaction
from tracker.errors import NotFound
from tracker.locks import exclusive_pass
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


DEFERRED_DETECTION_BATCH = 500
"""Tracks analysed per transaction in the deferred pass (bounded lock time and memory)."""

BACKFILL_QUIET_SECONDS = 2.0
"""The deferred pass starts once no backfill has written frontier values for this long, so that
a history still streaming in gets one pass, not one per submission."""


@dataclass(frozen=True)
class DeferredPass:
    tracks: int
    backfills: int
    retry_in_s: float | None
    """Set when the pass did not run because backfill data is still arriving."""


def run_deferred_detection(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> DeferredPass:
    """The retrospective pass of backfills: each marked track analysed once, from scratch.

    Does not run while some backfill's frontier values are still being written or were
    written less than `BACKFILL_QUIET_SECONDS` ago (it says when to try again), nor while
    another process runs it. Backfills whose values were written before the pass began are
    marked processed at its end.
    """
    with session_factory() as session:
        if processing.backfill_frontier_outstanding(session=session):
            return DeferredPass(0, 0, retry_in_s=None)  # the worker writing them triggers again
        latest_write = processing.latest_backfill_write(session=session)
        if latest_write is not None:
            quiet_for_s = (utc_now() - latest_write).total_seconds()
            if quiet_for_s < BACKFILL_QUIET_SECONDS:
                return DeferredPass(0, 0, retry_in_s=BACKFILL_QUIET_SECONDS - quiet_for_s)
    engine = session_factory.kw["bind"]
    with exclusive_pass(engine.engine) as acquired:
        if not acquired:
            return DeferredPass(0, 0, retry_in_s=None)
        with session_factory() as session:
            waiting = processing.backfills_awaiting_detection(session=session)
            pending = processing.tracks_awaiting_detection(session=session)
        for start in range(0, len(pending), DEFERRED_DETECTION_BATCH):
            with transaction(session_factory) as session:
                detect_on_tracks(
                    session=session,
                    track_ids=pending[start : start + DEFERRED_DETECTION_BATCH],
                    options=settings.detection_options,
                    now=utc_now(),
                    full=True,
                )
        if waiting:
            with transaction(session_factory) as session:
                processing.mark_processed(session=session, submission_ids=waiting, now=utc_now())
    if pending:
        log.info("deferred detection: %d tracks, %d backfills", len(pending), len(waiting))
    return DeferredPass(len(pending), len(waiting), retry_in_s=None)
