"""Thin Celery tasks: ids in, one job from `tracker.jobs` each."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alerts import jobs as alert_jobs
from tracker import jobs
from tracker.db import create_db_engine, make_sessionmaker
from tracker.dispatch import PROCESS_SUBMISSION_TASK
from tracker.settings import get_settings
from workers.celery_app import (
    DEFERRED_CHUNK_TASK,
    DEFERRED_DETECTION_TASK,
    DELIVER_ALERTS_TASK,
    GROUP_ALERTS_TASK,
    POST_DIGESTS_TASK,
    REQUEUE_STALE_TASK,
    app,
)


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    # Created on first use inside the worker process, never before Celery forks its pool.
    return make_sessionmaker(create_db_engine(get_settings().resolved_database_url))


@app.task(  # type: ignore[untyped-decorator]
    name=PROCESS_SUBMISSION_TASK,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=10,
)
def process_submission(submission_id: int) -> None:
    outcome = jobs.run_process_submission(
        session_factory=_session_factory(), settings=get_settings(), submission_id=submission_id
    )
    if outcome.awaits_deferred_detection:
        _plan_deferred_pass()  # here, not as a task: mostly it finds backfills still arriving
    if outcome.changes_found:
        _group_after_settling()


def _group_after_settling() -> None:
    """Grouping runs once the settle window has passed (it reschedules itself if a change
    joined meanwhile)."""
    group_alerts.apply_async(countdown=get_settings().alert_settle_seconds)


@app.task(  # type: ignore[untyped-decorator]
    name=DEFERRED_DETECTION_TASK,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=10,
)
def run_deferred_detection() -> None:
    _plan_deferred_pass()


def _plan_deferred_pass() -> None:
    plan = jobs.plan_deferred_detection(
        session_factory=_session_factory(),
        stalled_after_s=get_settings().stale_submission_seconds,
    )
    if plan.retry_in_s is not None:
        run_deferred_detection.apply_async(countdown=plan.retry_in_s)
    for chunk in plan.chunks:  # the worker processes share the batches
        detect_deferred_tracks.delay(list(chunk))


@app.task(  # type: ignore[untyped-decorator]
    name=DEFERRED_CHUNK_TASK, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=10
)
def detect_deferred_tracks(track_ids: list[int]) -> None:
    outcome = jobs.detect_deferred_tracks(
        session_factory=_session_factory(), settings=get_settings(), track_ids=track_ids
    )
    if outcome.tracks:
        _group_after_settling()


@app.task(  # type: ignore[untyped-decorator]
    name=GROUP_ALERTS_TASK, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=10
)
def group_alerts() -> None:
    outcome = alert_jobs.run_alert_grouping(
        session_factory=_session_factory(), settings=get_settings()
    )
    if outcome.created or outcome.joined:
        deliver_alerts.delay()
    if outcome.next_check_in_s is not None:
        group_alerts.apply_async(countdown=outcome.next_check_in_s)


@app.task(  # type: ignore[untyped-decorator]
    name=DELIVER_ALERTS_TASK, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=10
)
def deliver_alerts() -> None:
    alert_jobs.run_alert_deliveries(session_factory=_session_factory(), settings=get_settings())


@app.task(name=POST_DIGESTS_TASK)  # type: ignore[untyped-decorator]
def post_digests() -> None:
    alert_jobs.post_due_digests(session_factory=_session_factory(), settings=get_settings())


@app.task(name=REQUEUE_STALE_TASK)  # type: ignore[untyped-decorator]
def requeue_stale_submissions() -> None:
    jobs.requeue_stale_submissions(
        session_factory=_session_factory(),
        settings=get_settings(),
        enqueue=process_submission.delay,
    )
