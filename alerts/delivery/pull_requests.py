"""The pull-request outbox: each pull request's report on GitHub — one comment with its newest
candidate's verdict, edited on every later run, and that commit's status
(docs/api.md#reports-on-github).

Like the Slack outbox: before an attempt the row is marked `sending` and leased (committed); after
it, `sent` with the comment's id (committed). The comment carries a hidden marker, so an attempt
that finds no comment id on its row — the first, or one resumed after a worker died between the
call and the mark, or after an answer was lost — looks for the marker among the pull request's
comments and edits the one it finds: never a second comment. Setting a commit status again is
harmless (GitHub shows the latest of a context).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.delivery.leases import release_after_outage
from alerts.messages.verdict import (
    COMMENT_MARKER,
    STATUS_CONTEXT,
    comment_markdown,
    commit_status,
    failure_markdown,
)
from tracker import models
from tracker.clock import backoff_s
from tracker.db.engine import DATABASE_OUTAGES, transaction
from tracker.errors import Conflict, NotFound
from tracker.github.client import GitHubClient, GitHubError, PermanentGitHubError
from tracker.reads.verdicts import VerdictOptions, submission_verdict
from tracker.vocabulary import DeliveryStatus, SubmissionStatus

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0
"""An attempt in flight holds its row this long; a worker that died gives it back after."""
FIRST_RETRY_SECONDS = 10.0

Ended = Literal["sent", "retrying", "failed"]


@dataclass(frozen=True)
class _Claim:
    report_id: int
    repository: str
    pull_request: int
    submission_id: int
    comment_id: int | None


@dataclass
class ReportPass:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Report:
    body: str
    commit: str | None
    state: str
    description: str
    link: str | None


def _claim(session: Session, now: datetime) -> _Claim | None:
    row = session.execute(
        select(models.PullRequestReport)
        .where(
            models.PullRequestReport.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
            models.PullRequestReport.next_attempt_at <= now,
        )
        .order_by(models.PullRequestReport.next_attempt_at, models.PullRequestReport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if row is None:
        return None
    row.status = DeliveryStatus.SENDING
    row.attempts += 1
    row.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
    return _Claim(
        row.id, row.repository, row.pull_request, row.wanted_submission_id, row.comment_id
    )


def _report(
    session: Session, submission_id: int, options: VerdictOptions, public_url: str | None
) -> _Report:
    link = f"{public_url.rstrip('/')}/submissions/{submission_id}" if public_url else None
    failed = session.execute(
        select(models.SourceRun.commit, models.Submission.error)
        .join(models.Submission, models.Submission.source_run_id == models.SourceRun.id)
        .where(
            models.Submission.id == submission_id,
            models.Submission.status == SubmissionStatus.FAILED,
        )
    ).first()
    if failed is not None:
        commit, error = failed
        return _Report(
            body=failure_markdown(error, commit=commit, link=link),
            commit=commit,
            state="error",
            description="processing failed: no verdict",
            link=link,
        )
    verdict = asdict(
        submission_verdict(session=session, submission_id=submission_id, options=options)
    )
    state, description = commit_status(verdict)
    return _Report(
        body=comment_markdown(verdict, commit=verdict["commit"], link=link),
        commit=verdict["commit"],
        state=state,
        description=description,
        link=link,
    )


def _write_comment(client: GitHubClient, claim: _Claim, body: str) -> int:
    """Edit the pull request's report comment, or post it when it has none; its id."""
    comment_id = claim.comment_id
    if comment_id is None:
        comment_id = next(
            (
                found
                for found, text in client.issue_comments(claim.repository, claim.pull_request)
                if COMMENT_MARKER in text
            ),
            None,
        )
    if comment_id is None:
        return client.create_issue_comment(claim.repository, claim.pull_request, body)
    client.update_issue_comment(claim.repository, comment_id, body)
    return comment_id


def run_pull_request_reports(
    *,
    session_factory: sessionmaker[Session],
    client: GitHubClient,
    options: VerdictOptions,
    public_url: str | None,
    now: Callable[[], datetime],
    limit: int = 1000,
) -> ReportPass:
    """Work through the due reports, one claim per transaction, no transaction held across a
    call to GitHub. An attempt cut by a database outage gives its row back as soon as the
    database answers (`release_after_outage`), then raises."""
    result = ReportPass()
    for _ in range(limit):
        with transaction(session_factory) as session:
            claim = _claim(session, now())
        if claim is None:
            return result
        try:
            ended = _attempt(claim, session_factory, client, options, public_url, now)
        except DATABASE_OUTAGES:
            release_after_outage(session_factory, models.PullRequestReport, claim.report_id, now)
            raise
        result.sent += ended == "sent"
        result.retrying += ended == "retrying"
        result.failed += ended == "failed"
    return result


def _attempt(
    claim: _Claim,
    session_factory: sessionmaker[Session],
    client: GitHubClient,
    options: VerdictOptions,
    public_url: str | None,
    now: Callable[[], datetime],
) -> Ended:
    """Report a claimed row and mark it: how it ended."""
    try:
        with session_factory() as session:
            report = _report(session, claim.submission_id, options, public_url)
        comment_id = _write_comment(client, claim, report.body)
        if report.commit:
            client.set_commit_status(
                claim.repository,
                report.commit,
                state=report.state,
                context=STATUS_CONTEXT,
                description=report.description,
                target_url=report.link,
            )
    except (GitHubError, NotFound, Conflict) as error:
        # A candidate gone or failed has nothing to report: that is for good, as GitHub's
        # refusals are; anything else GitHub answered may go through later.
        permanent = not isinstance(error, GitHubError) or isinstance(error, PermanentGitHubError)
        _record_failure(session_factory, claim, error, now(), permanent=permanent)
        return "failed" if permanent else "retrying"
    with transaction(session_factory) as session:
        row = session.get_one(models.PullRequestReport, claim.report_id, with_for_update=True)
        row.comment_id = comment_id
        row.reported_submission_id = claim.submission_id
        row.last_error = None
        row.updated_at = now()
        row.next_attempt_at = now()
        # A newer candidate came while this one was reported: the row is due again.
        newer = row.wanted_submission_id != claim.submission_id
        row.status = DeliveryStatus.PENDING if newer else DeliveryStatus.SENT
        if newer:
            row.attempts = 0
    return "sent"


def _record_failure(
    session_factory: sessionmaker[Session],
    claim: _Claim,
    error: Exception,
    now: datetime,
    *,
    permanent: bool,
) -> None:
    log.warning(
        "report of pull request %s#%s failed: %s", claim.repository, claim.pull_request, error
    )
    with transaction(session_factory) as session:
        row = session.get_one(models.PullRequestReport, claim.report_id, with_for_update=True)
        row.last_error = str(error)[:2000]
        row.updated_at = now
        if permanent:
            row.status = DeliveryStatus.FAILED
        else:
            # Still `sending`: a comment that reached GitHub is found by its marker on retry.
            row.next_attempt_at = now + timedelta(
                seconds=backoff_s(row.attempts, FIRST_RETRY_SECONDS)
            )
