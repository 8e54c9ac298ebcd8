"""Thin Celery tasks: ids in, one job from `tracker.jobs` each."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tracker import jobs
from tracker.db import create_db_engine, make_sessionmaker
from tracker.dispatch import PROCESS_SUBMISSION_TASK
from tracker.settings import get_settings
from workers.celery_app import REQUEUE_STALE_TASK, app


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
    jobs.run_process_submission(
        session_factory=_session_factory(), settings=get_settings(), submission_id=submission_id
    )


@app.task(name=REQUEUE_STALE_TASK)  # type: ignore[untyped-decorator]
def requeue_stale_submissions() -> None:
    jobs.requeue_stale_submissions(
        session_factory=_session_factory(),
        settings=get_settings(),
        enqueue=process_submission.delay,
    )
