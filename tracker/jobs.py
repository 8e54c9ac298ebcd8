"""Background jobs as transaction boundaries: each opens a session, calls a service, commits.

The Celery tasks in ``workers/`` and the in-process runner of the embedded default both call
these, so the two modes run the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker import processing
from tracker.db import transaction
from tracker.errors import NotFound
from tracker.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_process_submission(
    *, session_factory: sessionmaker[Session], settings: Settings, submission_id: int
) -> None:
    """Process one submission; a deterministic failure marks it failed with the reason.

    Database outages (``OperationalError``) propagate, so that the caller retries later; any
    other error would fail again on retry, so it is recorded on the submission instead.
    """
    try:
        with transaction(session_factory) as session:
            processing.process_submission(
                session=session,
                submission_id=submission_id,
                targets=settings.interactivity_targets,
                now=utc_now(),
            )
    except NotFound:
        log.warning("submission %s vanished before it was processed", submission_id)
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
