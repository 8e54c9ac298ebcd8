"""The pipeline: its stages, and the one place that decides what follows each.

A stored submission is processed (frontier values, detection); a backfill waits for the backfill
pass, which is planned, then analysed in batches; changes are grouped into alerts after the
settle window; alerts are delivered. `run_stage` runs one stage and hands what follows to a
`Scheduler`: Celery tasks in production (`workers/`), in-process in the embedded default
(`tracker.pipeline.scheduler`), so both runtimes behave alike (docs/data-flow.md).
"""

from __future__ import annotations

import enum
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from alerts import jobs as alert_jobs
from tracker.db.statistics import refresh_planner_statistics
from tracker.pipeline import jobs
from tracker.settings import Settings


class Stage(enum.StrEnum):
    """Every stage of the pipeline; the value is its Celery task name."""

    PROCESS_SUBMISSION = "tracker.process_submission"
    ASSEMBLE_SWEEPS = "tracker.assemble_sweeps"
    PLAN_BACKFILL_PASS = "tracker.plan_backfill_pass"  # noqa: S105 (a task name)
    ANALYSE_BACKFILL_BATCH = "tracker.analyse_backfill_batch"
    GROUP_ALERTS = "tracker.group_alerts"
    DELIVER_ALERTS = "tracker.deliver_alerts"
    POST_DIGESTS = "tracker.post_digests"
    ADVANCE_BISECTIONS = "tracker.advance_bisections"
    REPORT_PULL_REQUESTS = "tracker.report_pull_requests"
    CHECK_STALE_CONFIGS = "tracker.check_stale_configs"
    CHECK_RANK_FLIPS = "tracker.check_rank_flips"
    REQUEUE_STALE_SUBMISSIONS = "tracker.requeue_stale_submissions"
    DELETE_OLD_PAYLOADS = "tracker.delete_old_payloads"


StageArgument = int | list[int]
"""Stages take ids and lists of ids, never objects: they cross a broker."""


class Scheduler(Protocol):
    def schedule(self, stage: Stage, *arguments: StageArgument, delay_s: float = 0.0) -> None:
        """Run ``stage`` with ``arguments`` after ``delay_s`` seconds (now, when 0), somewhere.

        May lose the request when the broker is down: every stage has a periodic fallback
        (`periodic_stages`) that picks up what was left.
        """


ASSEMBLE_SWEEPS_INTERVAL_S = 30.0
BACKFILL_PASS_INTERVAL_S = 30.0
GROUP_ALERTS_INTERVAL_S = 60.0
DELIVER_ALERTS_INTERVAL_S = 30.0
POST_DIGESTS_INTERVAL_S = 900.0
ADVANCE_BISECTIONS_INTERVAL_S = 30.0
DELETE_OLD_PAYLOADS_INTERVAL_S = 3600.0
REPORT_PULL_REQUESTS_INTERVAL_S = 30.0
REPORT_RETRY_CHECK_S = 10.0
"""A report GitHub refused for now is looked at again this soon (its row says when it is due)."""
CHECK_STALE_CONFIGS_INTERVAL_S = 600.0
CHECK_RANK_FLIPS_INTERVAL_S = 600.0


def periodic_stages(settings: Settings) -> dict[Stage, float]:
    """The stages run on a clock (beat in production, a thread in the embedded default), with
    their intervals in seconds: fallbacks for triggers lost with a worker or a broker, retries of
    the outbox, the digest schedule, and payload retention (when it is on)."""
    retention = (
        {Stage.DELETE_OLD_PAYLOADS: DELETE_OLD_PAYLOADS_INTERVAL_S}
        if settings.payload_retention_days
        else {}
    )
    return {
        Stage.REQUEUE_STALE_SUBMISSIONS: max(settings.stale_submission_seconds / 2, 1.0),
        Stage.ASSEMBLE_SWEEPS: ASSEMBLE_SWEEPS_INTERVAL_S,
        Stage.PLAN_BACKFILL_PASS: BACKFILL_PASS_INTERVAL_S,
        Stage.GROUP_ALERTS: GROUP_ALERTS_INTERVAL_S,
        Stage.DELIVER_ALERTS: DELIVER_ALERTS_INTERVAL_S,
        Stage.POST_DIGESTS: POST_DIGESTS_INTERVAL_S,
        Stage.ADVANCE_BISECTIONS: ADVANCE_BISECTIONS_INTERVAL_S,
        Stage.REPORT_PULL_REQUESTS: REPORT_PULL_REQUESTS_INTERVAL_S,
        **retention,
        Stage.CHECK_STALE_CONFIGS: CHECK_STALE_CONFIGS_INTERVAL_S,
        Stage.CHECK_RANK_FLIPS: CHECK_RANK_FLIPS_INTERVAL_S,
    }


def run_stage(
    stage: Stage,
    *arguments: StageArgument,
    session_factory: sessionmaker[Session],
    settings: Settings,
    scheduler: Scheduler,
) -> None:
    """Run one stage (a transaction boundary) and schedule what its outcome calls for."""
    if stage is Stage.PROCESS_SUBMISSION:
        (submission_id,) = arguments
        assert isinstance(submission_id, int)
        _process_submission(submission_id, session_factory, settings, scheduler)
    elif stage is Stage.ASSEMBLE_SWEEPS:
        assembled = jobs.run_sweep_assembly(session_factory=session_factory, settings=settings)
        if assembled.changes_found:
            scheduler.schedule(Stage.GROUP_ALERTS, delay_s=settings.alert_settle_seconds)
    elif stage is Stage.PLAN_BACKFILL_PASS:
        _plan_backfill_pass(session_factory, settings, scheduler)
    elif stage is Stage.ANALYSE_BACKFILL_BATCH:
        (track_ids,) = arguments
        assert isinstance(track_ids, list)
        refresh_planner_statistics(session_factory)
        progress = jobs.analyse_backfill_batch(
            session_factory=session_factory, settings=settings, track_ids=track_ids
        )
        if progress.tracks:
            scheduler.schedule(Stage.GROUP_ALERTS, delay_s=settings.alert_settle_seconds)
    elif stage is Stage.GROUP_ALERTS:
        grouped = alert_jobs.run_alert_grouping(session_factory=session_factory, settings=settings)
        if grouped.created or grouped.joined:
            scheduler.schedule(Stage.DELIVER_ALERTS)
        if grouped.bisections_started:
            scheduler.schedule(Stage.ADVANCE_BISECTIONS)
        if grouped.next_check_in_s is not None:
            # A group still settling: grouping looks again when it settles.
            scheduler.schedule(Stage.GROUP_ALERTS, delay_s=grouped.next_check_in_s)
    elif stage is Stage.DELIVER_ALERTS:
        alert_jobs.run_alert_deliveries(session_factory=session_factory, settings=settings)
    elif stage is Stage.ADVANCE_BISECTIONS:
        advanced = alert_jobs.run_bisection_advance(
            session_factory=session_factory, settings=settings
        )
        if advanced.judged or advanced.concluded or advanced.listed or advanced.dispatched:
            scheduler.schedule(Stage.DELIVER_ALERTS)  # the parents show the bisection
        if advanced.next_check_in_s is not None:
            scheduler.schedule(Stage.ADVANCE_BISECTIONS, delay_s=advanced.next_check_in_s)
    elif stage is Stage.REPORT_PULL_REQUESTS:
        _report_pull_requests(session_factory, settings, scheduler)
    elif stage in (Stage.CHECK_STALE_CONFIGS, Stage.CHECK_RANK_FLIPS):
        if _alerts_touched_by_check(stage, session_factory, settings):
            scheduler.schedule(Stage.DELIVER_ALERTS)
    elif stage is Stage.POST_DIGESTS:
        alert_jobs.post_due_digests(session_factory=session_factory, settings=settings)
    elif stage is Stage.REQUEUE_STALE_SUBMISSIONS:
        jobs.run_requeue_stale_submissions(
            session_factory=session_factory,
            settings=settings,
            enqueue=lambda submission_id: scheduler.schedule(
                Stage.PROCESS_SUBMISSION, submission_id
            ),
        )
    elif stage is Stage.DELETE_OLD_PAYLOADS:
        jobs.run_payload_retention(
            session_factory=session_factory, retention_days=settings.payload_retention_days
        )


def _process_submission(
    submission_id: int,
    session_factory: sessionmaker[Session],
    settings: Settings,
    scheduler: Scheduler,
) -> None:
    # Before the submission's rows are read back: a bulk load may have just outgrown the
    # planner's picture of the tables (tracker/db/statistics.py).
    refresh_planner_statistics(session_factory)
    processed = jobs.run_process_submission(
        session_factory=session_factory, settings=settings, submission_id=submission_id
    )
    if processed.awaits_backfill_pass:
        # Here, not through the scheduler: mostly it finds backfills still arriving.
        _plan_backfill_pass(session_factory, settings, scheduler)
    if processed.changes_found:
        scheduler.schedule(Stage.GROUP_ALERTS, delay_s=settings.alert_settle_seconds)
    if processed.bisection_result:
        scheduler.schedule(Stage.ADVANCE_BISECTIONS)
    if processed.assembly_due_in_s is not None:
        scheduler.schedule(Stage.ASSEMBLE_SWEEPS, delay_s=processed.assembly_due_in_s)
    if processed.report_due:
        scheduler.schedule(Stage.REPORT_PULL_REQUESTS)


def _report_pull_requests(
    session_factory: sessionmaker[Session], settings: Settings, scheduler: Scheduler
) -> None:
    reported = alert_jobs.run_pull_request_report_pass(
        session_factory=session_factory, settings=settings
    )
    if reported.retrying:
        scheduler.schedule(Stage.REPORT_PULL_REQUESTS, delay_s=REPORT_RETRY_CHECK_S)


def _alerts_touched_by_check(
    stage: Stage, session_factory: sessionmaker[Session], settings: Settings
) -> bool:
    """Run a periodic check for stale configs or rank flips; whether it made or changed alerts."""
    if stage is Stage.CHECK_STALE_CONFIGS:
        stale = alert_jobs.run_stale_check(session_factory=session_factory, settings=settings)
        return bool(stale.created or stale.joined or stale.resolved)
    return bool(alert_jobs.run_rank_check(session_factory=session_factory, settings=settings))


def _plan_backfill_pass(
    session_factory: sessionmaker[Session], settings: Settings, scheduler: Scheduler
) -> None:
    plan = jobs.plan_backfill_pass(
        session_factory=session_factory, stalled_after_s=settings.stale_submission_seconds
    )
    if plan.retry_in_s is not None:
        scheduler.schedule(Stage.PLAN_BACKFILL_PASS, delay_s=plan.retry_in_s)
    for batch in plan.batches:  # the workers share the batches
        scheduler.schedule(Stage.ANALYSE_BACKFILL_BATCH, list(batch))
