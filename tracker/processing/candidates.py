"""Processing a candidate run: its frontier values, apart from the history, and its pull
request's report queued for GitHub (docs/api.md#reports-on-github)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.repositories import known_repository
from tracker.db.dialect import insert_ignoring_conflicts
from tracker.github.client import repository_path
from tracker.processing.frontier_values import SweepRow, write_frontier_values
from tracker.processing.sweeps import ProcessingOptions
from tracker.vocabulary import DeliveryStatus, SubmissionPurpose


def process_candidate(
    *,
    session: Session,
    submission_id: int,
    source: models.SourceRun,
    sweeps: Sequence[SweepRow],
    options: ProcessingOptions,
    now: datetime,
) -> bool:
    """Write the candidate's frontier values (`candidate_frontier_values`: no track reads them)
    and, when reports go to GitHub, queue its pull request's report; whether one was queued.
    Never commits."""
    write_frontier_values(
        session=session,
        sweeps=sweeps,
        targets=options.targets,
        max_failed_fraction=options.max_failed_fraction,
        candidate=True,
    )
    return options.report_pull_requests and queue_report(
        session=session, source=source, submission_id=submission_id, now=now
    )


def queue_failed_candidate_report(*, session: Session, submission_id: int, now: datetime) -> bool:
    """A candidate of a pull request on GitHub whose processing failed is reported too (its
    commit status says error); whether a report was queued. Never commits."""
    source = session.execute(
        select(models.SourceRun)
        .join(models.Submission, models.Submission.source_run_id == models.SourceRun.id)
        .where(models.Submission.id == submission_id)
    ).scalar_one_or_none()
    if source is None or source.purpose is not SubmissionPurpose.CANDIDATE:
        return False
    return queue_report(session=session, source=source, submission_id=submission_id, now=now)


def queue_report(
    *, session: Session, source: models.SourceRun, submission_id: int, now: datetime
) -> bool:
    """Queue the report of a candidate of a pull request on GitHub; False for any other."""
    repository = github_repository(source)
    if source.pull_request is None or repository is None:
        return False
    queue_pull_request_report(
        session=session,
        repository=repository,
        pull_request=source.pull_request,
        submission_id=submission_id,
        now=now,
    )
    return True


def github_repository(source: models.SourceRun) -> str | None:
    """The candidate's repository on GitHub (owner/name): `source.repo`, else the engine's
    known repository; None when it is not on GitHub."""
    url = source.repo or known_repository(source.engine)
    if url is None:
        return None
    try:
        return repository_path(url)
    except ValueError:
        return None


def queue_pull_request_report(
    *, session: Session, repository: str, pull_request: int, submission_id: int, now: datetime
) -> None:
    """Make the pull request's report due for its newest candidate: one outbox row per pull
    request, so that one worker at a time writes its comment. A report in flight is left to its
    worker, which finds the newer candidate when it marks its row. Never commits."""
    session.execute(
        insert_ignoring_conflicts(
            session, models.PullRequestReport, ("repository", "pull_request")
        ).values(
            repository=repository,
            pull_request=pull_request,
            wanted_submission_id=submission_id,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
    )
    report = session.execute(
        select(models.PullRequestReport)
        .where(
            models.PullRequestReport.repository == repository,
            models.PullRequestReport.pull_request == pull_request,
        )
        .with_for_update()
    ).scalar_one()
    report.wanted_submission_id = max(report.wanted_submission_id, submission_id)
    report.updated_at = now
    if report.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
        report.status = DeliveryStatus.PENDING
        report.attempts = 0
        report.next_attempt_at = now
