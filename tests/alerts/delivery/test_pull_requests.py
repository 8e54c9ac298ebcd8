"""Pull requests' reports on GitHub through the real client and a local stand-in of the REST API:
one comment per pull request, found again by its marker and edited on later runs, and the
commit statuses; retried on 502, never duplicated when a worker dies between the call and the
mark."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alerts.delivery.pull_requests import LEASE_SECONDS, run_pull_request_reports
from alerts.messages.verdict import COMMENT_MARKER
from tests.conftest import REDIS_URL, ScratchDatabases
from tests.support.builders import nightly_levels, source, synthetic_rows
from tests.support.github_stand_in import GitHubStandIn
from tests.support.own_services import own_postgres
from tests.support.services import tracker_process
from tests.support.stored import scratch_tracker, store_bodies
from tracker import jsonio, models
from tracker.clock import utc_now
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker, transaction
from tracker.github.client import GitHubClient
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.scheduler import CeleryScheduler, InProcessScheduler, celery_client
from tracker.pipeline.stages import Scheduler
from tracker.processing.candidates import queue_failed_candidate_report
from tracker.processing.submissions import mark_failed
from tracker.reads.verdicts import VerdictOptions
from tracker.settings import Settings
from tracker.vocabulary import DeliveryStatus

TOKEN = "ghp_test_token"
REPOSITORY = "sgl-project/sglang"
NIGHTS = 12
BROKER_URL = f"{REDIS_URL}/8"
OUTAGE_POSTGRES_PORT = 5446


@dataclass
class Tracker:
    engine: Engine
    factory: sessionmaker[Session]
    settings: Settings
    github: GitHubStandIn

    def post(self, body: dict[str, Any], scheduler: Scheduler | None = None) -> int:
        with self.factory() as session:
            receipt = accept_submission(
                session=session,
                scheduler=scheduler
                or InProcessScheduler(session_factory=self.factory, settings=self.settings),
                body=jsonio.dumps(body).encode(),
            )
            return receipt.submission.id

    def report(self, *, later_s: float = 0.0) -> Any:
        client = GitHubClient(token=TOKEN, base_url=self.github.base_url)
        try:
            return run_pull_request_reports(
                session_factory=self.factory,
                client=client,
                options=VerdictOptions(
                    tracked_branches={}, min_relative_change=0.02, confidence=0.95
                ),
                public_url=self.settings.public_url,
                now=lambda: utc_now() + timedelta(seconds=later_s),
            )
        finally:
            client.close()

    def report_row(self) -> models.PullRequestReport:
        with self.factory() as session:
            return session.execute(select(models.PullRequestReport)).scalar_one()


def night_body(night: int, level: float) -> dict[str, Any]:
    return {
        "source": source(
            engine="sglang",
            run_key=f"night:{night}",
            commit=f"{night:04d}abcdef",
            engine_version=None,
            timestamp=f"2026-06-{night + 1:02d}T03:00:00Z",
            repo=None,
        ),
        "results": synthetic_rows(framework="sglang", level=level),
    }


def candidate(pull_request: int, commit: str, level: float) -> dict[str, Any]:
    return {
        "source": source(
            engine="sglang",
            run_key=f"pr:{pull_request}:{commit}",
            commit=commit,
            engine_version=None,
            timestamp="2026-06-20T03:00:00Z",
            repo="https://github.com/sgl-project/sglang",
            branch="feature",
            pull_request=pull_request,
        ),
        "results": synthetic_rows(framework="sglang", level=level),
    }


@pytest.fixture
def tracker(scratch_databases: ScratchDatabases) -> Iterator[Tracker]:
    """12 tracked nights (0.3 % noise) on a committed scratch database; reports go to a local
    stand-in of GitHub."""
    engine, factory, settings = scratch_tracker(scratch_databases)
    with GitHubStandIn(token=TOKEN) as github:
        settings = Settings(
            database_url=settings.database_url,
            github_token=TOKEN,
            github_api_url=github.base_url,
            public_url="https://tracker.example",
        )
        tracked = Tracker(engine, factory, settings, github)
        for night, level in enumerate(nightly_levels(NIGHTS, noise=0.003, seed=4)):
            tracked.post(night_body(night, level))
        yield tracked
    engine.dispose()


def test_one_comment_per_pull_request_is_posted_then_edited_with_statuses(
    tracker: Tracker,
) -> None:
    github = tracker.github
    # Someone has commented already: the report finds its own comment by its marker.
    human = GitHubClient(token=TOKEN, base_url=github.base_url)
    human.create_issue_comment(REPOSITORY, 77, "Looks good to me.")
    human.close()
    github.comment_calls.clear()

    tracker.post(candidate(77, "aaaa111111", 0.88))  # processed and reported in-process
    (_, report) = github.comments(REPOSITORY, 77)
    assert report.body.startswith(COMMENT_MARKER)
    assert "▼ regression" in report.body and "`aaaa111111`" in report.body
    assert "https://tracker.example/submissions/" in report.body
    (status,) = github.statuses(REPOSITORY, "aaaa111111")
    assert (status.state, status.context) == ("failure", "frontier-tracker")
    assert status.description.startswith("regression")

    tracker.post(candidate(77, "bbbb222222", 1.0))
    comments = github.comments(REPOSITORY, 77)
    assert comments[0].body == "Looks good to me."
    assert len(comments) == 2 and comments[1].id == report.id  # the same comment, edited
    assert "`bbbb222222`" in comments[1].body and "▼ regression" not in comments[1].body
    assert github.comment_calls == ["create", "edit"]
    assert [s.state for s in github.statuses(REPOSITORY, "bbbb222222")] == ["success"]
    assert [s.state for s in github.statuses(REPOSITORY, "aaaa111111")] == ["failure"]

    tracker.post(candidate(78, "cccc333333", 1.0))  # another pull request: its own comment
    assert len(github.comments(REPOSITORY, 78)) == 1
    assert len(github.comments(REPOSITORY, 77)) == 2


def test_a_502_is_retried_and_a_partial_attempt_resumes_without_a_second_comment(
    tracker: Tracker,
) -> None:
    github = tracker.github
    github.plan("create_comment", status=502)
    github.plan("status", status=502)

    tracker.post(candidate(90, "dddd444444", 0.88))
    row = tracker.report_row()
    assert row.status is DeliveryStatus.SENDING and "502" in (row.last_error or "")
    assert github.comments(REPOSITORY, 90) == []

    # Retried once due: the comment goes, its status is refused again (502).
    assert tracker.report(later_s=LEASE_SECONDS).retrying == 1
    assert len(github.comments(REPOSITORY, 90)) == 1
    assert github.statuses(REPOSITORY) == []
    # Then the comment is found by its marker and edited, and the status set.
    assert tracker.report(later_s=2 * LEASE_SECONDS).sent == 1
    assert len(github.comments(REPOSITORY, 90)) == 1
    assert github.comment_calls == ["create", "edit"]
    assert [s.state for s in github.statuses(REPOSITORY, "dddd444444")] == ["failure"]
    row = tracker.report_row()
    assert row.status is DeliveryStatus.SENT and row.last_error is None


def test_a_refusal_for_good_marks_the_report_failed(tracker: Tracker) -> None:
    tracker.github.plan("comments", status=404)
    tracker.post(candidate(91, "eeee555555", 1.0))
    row = tracker.report_row()
    assert row.status is DeliveryStatus.FAILED and "404" in (row.last_error or "")
    assert tracker.report(later_s=3600).sent == 0  # not tried again


@pytest.mark.slow
def test_a_worker_killed_between_the_comment_and_the_mark_leaves_one_comment(
    tracker: Tracker, tmp_path: Path
) -> None:
    github = tracker.github
    redis.Redis.from_url(BROKER_URL).flushdb()
    release = github.hold_created_comment()
    env = {
        "TRACKER_DATABASE_URL": tracker.settings.resolved_database_url,
        "TRACKER_BROKER_URL": BROKER_URL,
        "TRACKER_GITHUB_TOKEN": TOKEN,
        "TRACKER_GITHUB_API_URL": github.base_url,
    }
    with tracker_process(["worker", "--concurrency", "1"], env, tmp_path / "worker.log") as worker:
        tracker.post(candidate(92, "ffff666666", 0.88), CeleryScheduler(celery_client(BROKER_URL)))
        assert github.comment_held.wait(60), (tmp_path / "worker.log").read_text()
        os.killpg(worker.pid, signal.SIGKILL)  # the comment is stored; its answer never read
        worker.wait()
    release.set()
    row = tracker.report_row()
    assert row.status is DeliveryStatus.SENDING and row.comment_id is None  # never marked

    assert tracker.report(later_s=LEASE_SECONDS + 1).sent == 1  # the lease ran out
    assert len(github.comments(REPOSITORY, 92)) == 1
    assert github.comment_calls == ["create", "edit"]
    assert [s.state for s in github.statuses(REPOSITORY, "ffff666666")] == ["failure"]
    row = tracker.report_row()
    assert row.status is DeliveryStatus.SENT and row.comment_id is not None


def test_a_candidate_that_failed_is_reported_as_an_error(tracker: Tracker) -> None:
    (submission_id,) = store_bodies(tracker.factory, [candidate(93, "abab777777", 1.0)])
    with transaction(tracker.factory) as session:  # as the processing job does on a failure
        mark_failed(session=session, submission_id=submission_id, error="ValueError: bad rows")
        assert queue_failed_candidate_report(
            session=session, submission_id=submission_id, now=utc_now()
        )
    assert tracker.report().sent == 1
    (comment,) = tracker.github.comments(REPOSITORY, 93)
    assert "processing failed" in comment.body and "ValueError: bad rows" in comment.body
    (status,) = tracker.github.statuses(REPOSITORY, "abab777777")
    assert status.state == "error"


@pytest.mark.slow
def test_a_report_cut_by_a_database_outage_is_due_again_as_soon_as_the_database_answers() -> None:
    """The comment reaches GitHub, then the database goes down before the mark: once it is back,
    the row is due at once (not after its lease), and the next pass edits the one comment."""
    with own_postgres(OUTAGE_POSTGRES_PORT) as postgres, GitHubStandIn(token=TOKEN) as github:
        url = postgres.create_database("tracker")
        migrations.upgrade(url)
        engine = create_db_engine(url)
        settings = Settings(
            database_url=url, github_token=TOKEN, github_api_url=github.base_url, public_url=None
        )
        tracker = Tracker(engine, make_sessionmaker(engine), settings, github)
        for night, level in enumerate(nightly_levels(NIGHTS, noise=0.003, seed=4)):
            tracker.post(night_body(night, level))
        github.plan("create_comment", status=502)  # the in-process report is left to retry
        tracker.post(candidate(94, "acac888888", 0.88))
        release = github.hold_created_comment()
        outcome: list[BaseException | object] = []

        def attempt() -> None:
            try:
                outcome.append(tracker.report(later_s=LEASE_SECONDS))
            except Exception as error:  # the outage, raised once the lease is given back
                outcome.append(error)

        worker = threading.Thread(target=attempt)
        worker.start()
        assert github.comment_held.wait(60)
        postgres.stop()
        release.set()  # GitHub answers; the mark finds the database down
        time.sleep(3)
        postgres.start()
        worker.join(60)
        assert len(outcome) == 1 and isinstance(outcome[0], OperationalError)

        assert tracker.report(later_s=LEASE_SECONDS + 1).sent == 1  # due before the lease ends
        assert len(github.comments(REPOSITORY, 94)) == 1
        assert github.comment_calls[-2:] == ["create", "edit"]
        assert tracker.report_row().status is DeliveryStatus.SENT
        engine.dispose()
