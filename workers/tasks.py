"""Thin Celery tasks: one per pipeline stage, each running `stages.run_stage`."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from tracker.db.engine import DATABASE_OUTAGES, create_db_engine, make_sessionmaker
from tracker.pipeline.scheduler import CeleryScheduler
from tracker.pipeline.stages import Stage, StageArgument, run_stage
from tracker.settings import get_settings
from workers.celery_app import app

RETRIED_ON_OUTAGE = {
    "autoretry_for": DATABASE_OUTAGES,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 10,
}
"""A database outage fails the task for now; it is retried with backoff."""


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    # Created on first use inside the worker process, never before Celery forks its pool.
    return make_sessionmaker(create_db_engine(get_settings().resolved_database_url))


def _run(stage: Stage, *arguments: StageArgument) -> None:
    run_stage(
        stage,
        *arguments,
        session_factory=_session_factory(),
        settings=get_settings(),
        scheduler=CeleryScheduler(app),
    )


@app.task(name=Stage.PROCESS_SUBMISSION.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def process_submission(submission_id: int) -> None:
    _run(Stage.PROCESS_SUBMISSION, submission_id)


@app.task(name=Stage.ASSEMBLE_SWEEPS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def assemble_sweeps() -> None:
    _run(Stage.ASSEMBLE_SWEEPS)


@app.task(name=Stage.PLAN_BACKFILL_PASS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def plan_backfill_pass() -> None:
    _run(Stage.PLAN_BACKFILL_PASS)


@app.task(name=Stage.ANALYSE_BACKFILL_BATCH.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def analyse_backfill_batch(track_ids: list[int]) -> None:
    _run(Stage.ANALYSE_BACKFILL_BATCH, track_ids)


@app.task(name=Stage.GROUP_ALERTS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def group_alerts() -> None:
    _run(Stage.GROUP_ALERTS)


@app.task(name=Stage.DELIVER_ALERTS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def deliver_alerts() -> None:
    _run(Stage.DELIVER_ALERTS)


@app.task(name=Stage.ADVANCE_BISECTIONS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def advance_bisections() -> None:
    _run(Stage.ADVANCE_BISECTIONS)


@app.task(name=Stage.REPORT_PULL_REQUESTS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def report_pull_requests() -> None:
    _run(Stage.REPORT_PULL_REQUESTS)


@app.task(name=Stage.CHECK_STALE_CONFIGS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def check_stale_configs() -> None:
    _run(Stage.CHECK_STALE_CONFIGS)


@app.task(name=Stage.CHECK_RANK_FLIPS.value, **RETRIED_ON_OUTAGE)  # type: ignore[untyped-decorator]
def check_rank_flips() -> None:
    _run(Stage.CHECK_RANK_FLIPS)


@app.task(name=Stage.POST_DIGESTS.value)  # type: ignore[untyped-decorator]
def post_digests() -> None:
    _run(Stage.POST_DIGESTS)


@app.task(name=Stage.REQUEUE_STALE_SUBMISSIONS.value)  # type: ignore[untyped-decorator]
def requeue_stale_submissions() -> None:
    _run(Stage.REQUEUE_STALE_SUBMISSIONS)


@app.task(name=Stage.DELETE_OLD_PAYLOADS.value)  # type: ignore[untyped-decorator]
def delete_old_payloads() -> None:
    _run(Stage.DELETE_OLD_PAYLOADS)
