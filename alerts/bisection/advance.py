"""Moving bisections forward: list a range's commits, judge the runs that came back, ask for the
next one, conclude — each in a transaction of its own.

A step (one run at one commit) is dispatched exactly once, like a Slack parent: it is leased and
marked `dispatching` (committed) before the call, `dispatched` after. An answer GitHub refused
(5xx, 422, 429) leaves it `pending` for a later attempt with backoff; a dispatch whose outcome is
unknown (no answer, or a worker lost mid-call) counts as dispatched, never as one to repeat.
Results are ordinary submissions that name the bisection; the first processed one for a step's
commit answers it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.bisection.evidence import Reading, TrackKey, TrackLevels, read_run, verdict_of
from alerts.bisection.search import SearchRange, decide
from alerts.records import mark_for_refresh
from tracker import models
from tracker.clock import backoff_s
from tracker.configs.repositories import same_commit
from tracker.db.engine import transaction
from tracker.github.client import (
    Commit,
    GitHubError,
    PermanentGitHubError,
    TransientGitHubError,
    UnknownOutcomeError,
)
from tracker.processing.frontier_values import sweep_front, sweep_points
from tracker.vocabulary import (
    BisectionState,
    BisectionStepState,
    Metric,
    SubmissionPurpose,
    SubmissionStatus,
    Verdict,
)

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0


class CommitHost(Protocol):
    """Where an engine's commits and CI live (GitHub: `tracker.github.client.GitHubClient`)."""

    def compare(self, repository: str, base: str, head: str) -> list[Commit]: ...

    def dispatch_workflow(
        self, repository: str, workflow: str, *, ref: str, inputs: dict[str, str]
    ) -> None: ...


@dataclass
class AdvancePass:
    listed: int = 0
    dispatched: int = 0
    judged: int = 0
    concluded: int = 0
    retrying: int = 0
    next_check_in_s: float | None = None


def advance_bisections(
    *,
    session_factory: sessionmaker[Session],
    host: CommitHost,
    now: Callable[[], datetime],
    retry_first_s: float,
    max_failed_fraction: float,
) -> AdvancePass:
    """One pass over every running bisection; a run's points whose requests failed beyond
    ``max_failed_fraction`` are left out of its fronts, as for the history."""
    outcome = AdvancePass()
    with session_factory() as session:
        listing = _ids(session, BisectionState.LISTING)
    for bisection_id in listing:
        outcome.listed += _list_commits(session_factory, host, bisection_id, now())
    with session_factory() as session:
        running = _ids(session, BisectionState.RUNNING)
    for bisection_id in running:
        judged, concluded = _judge_results(
            session_factory, bisection_id, now(), max_failed_fraction
        )
        outcome.judged += judged
        outcome.concluded += concluded
    while (claim := _claim_dispatch(session_factory, now())) is not None:
        sent = _dispatch(session_factory, host, claim, now(), retry_first_s)
        outcome.dispatched += sent
        outcome.retrying += not sent
    with session_factory() as session:
        waiting = session.execute(
            select(models.BisectionStep.next_attempt_at)
            .join(models.Bisection, models.Bisection.id == models.BisectionStep.bisection_id)
            .where(
                models.Bisection.state == BisectionState.RUNNING,
                models.BisectionStep.state == BisectionStepState.PENDING,
            )
            .order_by(models.BisectionStep.next_attempt_at)
            .limit(1)
        ).scalar_one_or_none()
    if waiting is not None:
        outcome.next_check_in_s = max((waiting - now()).total_seconds(), 0.0)
    return outcome


def _ids(session: Session, state: BisectionState) -> list[int]:
    return list(
        session.execute(
            select(models.Bisection.id)
            .where(models.Bisection.state == state)
            .order_by(models.Bisection.id)
        ).scalars()
    )


def _locked(session: Session, bisection_id: int, state: BisectionState) -> models.Bisection | None:
    """The bisection, locked for this transaction, if it is still in ``state``."""
    bisection = session.execute(
        select(models.Bisection).where(models.Bisection.id == bisection_id).with_for_update()
    ).scalar_one_or_none()
    return bisection if bisection is not None and bisection.state is state else None


def _list_commits(
    session_factory: sessionmaker[Session], host: CommitHost, bisection_id: int, now: datetime
) -> int:
    with transaction(session_factory) as session:
        bisection = _locked(session, bisection_id, BisectionState.LISTING)
        if bisection is None:
            return 0
        try:
            commits = host.compare(
                bisection.repository, bisection.base_commit, bisection.head_commit
            )
        except (TransientGitHubError, UnknownOutcomeError) as error:
            bisection.reason = f"listing the range's commits: {error}"
            bisection.updated_at = now
            return 0
        except PermanentGitHubError as error:
            _conclude(session, bisection, BisectionState.FAILED, str(error), now)
            return 0
        bisection.commits = [
            {"sha": c.sha, "title": c.title, "pull_request": c.pull_request} for c in commits
        ]
        bisection.good_index, bisection.bad_index = -1, len(commits) - 1
        bisection.reason = None
        if not commits:
            _conclude(session, bisection, BisectionState.FAILED, "the range has no commits", now)
        elif len(commits) == 1:
            bisection.culprit_index = 0
            _conclude(session, bisection, BisectionState.FOUND, None, now)
        else:
            bisection.state = BisectionState.RUNNING
            bisection.updated_at = now
            _ask(session, bisection, _range(bisection).next_commit(), rerun=False, now=now)
            mark_for_refresh(session, [bisection.alert_id])
        return 1


def _range(bisection: models.Bisection) -> SearchRange:
    return SearchRange(good=bisection.good_index, bad=bisection.bad_index)


def _ask(
    session: Session, bisection: models.Bisection, index: int | None, *, rerun: bool, now: datetime
) -> None:
    """A new step at commit ``index``, due for dispatch now; it spends one run."""
    assert index is not None
    number = 1 + len(_steps(session, bisection.id))
    session.add(
        models.BisectionStep(
            bisection_id=bisection.id,
            number=number,
            commit_index=index,
            sha=bisection.commits[index]["sha"],
            rerun=rerun,
            state=BisectionStepState.PENDING,
            attempts=0,
            next_attempt_at=now,
            dispatched_at=None,
            last_error=None,
            submission_id=None,
            verdict=None,
            evidence=None,
            values={},
        )
    )
    bisection.runs_used += 1
    bisection.updated_at = now


def _steps(session: Session, bisection_id: int) -> list[models.BisectionStep]:
    return list(
        session.execute(
            select(models.BisectionStep)
            .where(models.BisectionStep.bisection_id == bisection_id)
            .order_by(models.BisectionStep.number)
        ).scalars()
    )


def _conclude(
    session: Session,
    bisection: models.Bisection,
    state: BisectionState,
    reason: str | None,
    now: datetime,
) -> None:
    bisection.state = state
    bisection.reason = reason
    bisection.updated_at = bisection.finished_at = now
    mark_for_refresh(session, [bisection.alert_id])


def _judge_results(
    session_factory: sessionmaker[Session],
    bisection_id: int,
    now: datetime,
    max_failed_fraction: float,
) -> tuple[int, int]:
    """Judge the steps whose results came back; ask for the next run or conclude."""
    with transaction(session_factory) as session:
        bisection = _locked(session, bisection_id, BisectionState.RUNNING)
        if bisection is None:
            return 0, 0
        steps = _steps(session, bisection_id)
        waiting = [
            s
            for s in steps
            if s.state in (BisectionStepState.DISPATCHING, BisectionStepState.DISPATCHED)
        ]
        results = _results(session, bisection_id, exclude={s.submission_id for s in steps})
        tracks = [
            TrackLevels(
                config_id=t["config_id"],
                metric=Metric(t["metric"]),
                interactivity=t["interactivity"],
                before=t["before"],
                after=t["after"],
                sigma=t["sigma"],
            )
            for t in bisection.tracks
        ]
        judged = 0
        for step in waiting:
            submission_id = next((sid for sid, sha in results if same_commit(sha, step.sha)), None)
            if submission_id is None:
                continue
            results = [(sid, sha) for sid, sha in results if sid != submission_id]
            values = _run_values(session, submission_id, tracks, max_failed_fraction)
            reading = read_run(tracks, values)
            step.state = BisectionStepState.ANSWERED
            step.submission_id = submission_id
            step.values = {json.dumps([c, m.value, x]): v for (c, m, x), v in values.items()}
            step.verdict, step.evidence = reading.verdict, reading.log_ratio
            judged += 1
            if _decide(session, bisection, step, reading, steps, now):
                return judged, 1
        return judged, 0


def _decide(
    session: Session,
    bisection: models.Bisection,
    step: models.BisectionStep,
    reading: Reading,
    steps: Sequence[models.BisectionStep],
    now: datetime,
) -> bool:
    """Move the search on from a judged step; True when the bisection concluded."""
    verdict = reading.verdict
    if verdict is Verdict.INCONCLUSIVE and step.rerun:
        earlier = next(
            s for s in steps if s.commit_index == step.commit_index and s.number < step.number
        )
        verdict = read_combined(earlier, step)
    decision = decide(
        _range(bisection),
        step.commit_index,
        verdict,
        was_rerun=step.rerun,
        runs_used=bisection.runs_used,
        max_runs=bisection.max_runs,
    )
    bisection.good_index, bisection.bad_index = decision.search.good, decision.search.bad
    bisection.updated_at = now
    mark_for_refresh(session, [bisection.alert_id])
    if decision.conclusion is BisectionState.FOUND:
        bisection.culprit_index = decision.search.bad
    if decision.conclusion is not None:
        _conclude(session, bisection, decision.conclusion, decision.reason, now)
        return True
    _ask(session, bisection, decision.ask, rerun=decision.rerun, now=now)
    return False


def read_combined(first: models.BisectionStep, second: models.BisectionStep) -> Verdict:
    """Two runs at one commit, their evidence summed."""
    return verdict_of((first.evidence or 0.0) + (second.evidence or 0.0))


def _results(
    session: Session, bisection_id: int, exclude: set[int | None]
) -> list[tuple[int, str]]:
    """Processed submissions posted for the bisection and not yet used: (id, commit)."""
    rows = session.execute(
        select(models.Submission.id, models.SourceRun.commit)
        .join(models.SourceRun, models.SourceRun.id == models.Submission.source_run_id)
        .where(
            models.SourceRun.purpose == SubmissionPurpose.BISECT,
            models.SourceRun.bisection_id == bisection_id,
            models.Submission.status == SubmissionStatus.PROCESSED,
        )
        .order_by(models.Submission.id)
    ).all()
    return [(sid, commit or "") for sid, commit in rows if sid not in exclude]


def _run_values(
    session: Session,
    submission_id: int,
    tracks: Sequence[TrackLevels],
    max_failed_fraction: float,
) -> dict[TrackKey, float]:
    """The run's frontier values on the judging tracks, read off its sweeps' fronts (a value
    its degraded points would change is missing, as in the history)."""
    sweeps = session.execute(
        select(models.Sweep.id, models.Sweep.config_id)
        .join(models.Submission, models.Submission.source_run_id == models.Sweep.source_run_id)
        .where(models.Submission.id == submission_id)
    ).all()
    points = sweep_points(session=session, sweep_ids=[sweep_id for sweep_id, _ in sweeps])
    targets = sorted({track.interactivity for track in tracks})
    wanted = {track.key for track in tracks}
    values: dict[TrackKey, float] = {}
    for sweep_id, config_id in sweeps:
        front = sweep_front(points.get(sweep_id, []), targets, max_failed_fraction)
        for metric, target, value in front.values:
            if (config_id, metric, target) in wanted:
                values[(config_id, metric, target)] = value
    return values


@dataclass(frozen=True)
class _Claim:
    step_id: int
    bisection_id: int
    alert_id: int
    repository: str
    workflow: str
    ref: str
    inputs: dict[str, str]


def _claim_dispatch(session_factory: sessionmaker[Session], now: datetime) -> _Claim | None:
    """Take one due step of a running bisection: lease it and mark it in flight. A step found
    in flight after its lease (its worker was lost mid-call) may have reached GitHub: it counts
    as dispatched."""
    with transaction(session_factory) as session:
        lost = session.execute(
            select(models.BisectionStep)
            .where(
                models.BisectionStep.state == BisectionStepState.DISPATCHING,
                models.BisectionStep.next_attempt_at <= now,
            )
            .with_for_update(skip_locked=True)
        ).scalars()
        for step in lost:
            step.state = BisectionStepState.DISPATCHED
            step.dispatched_at = now
            step.last_error = "the dispatch's outcome is unknown (its worker was lost)"
        row = session.execute(
            select(models.BisectionStep, models.Bisection)
            .join(models.Bisection, models.Bisection.id == models.BisectionStep.bisection_id)
            .where(
                models.Bisection.state == BisectionState.RUNNING,
                models.BisectionStep.state == BisectionStepState.PENDING,
                models.BisectionStep.next_attempt_at <= now,
            )
            .order_by(models.BisectionStep.next_attempt_at, models.BisectionStep.id)
            .limit(1)
            .with_for_update(of=models.BisectionStep, skip_locked=True)
        ).first()
        if row is None:
            return None
        step, bisection = row
        step.state = BisectionStepState.DISPATCHING
        step.attempts += 1
        step.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
        return _Claim(
            step_id=step.id,
            bisection_id=bisection.id,
            alert_id=bisection.alert_id,
            repository=bisection.repository,
            workflow=bisection.workflow,
            ref=bisection.ref,
            inputs={
                "commit": step.sha,
                "configs": json.dumps(bisection.configs, separators=(",", ":")),
                "bisect_id": str(bisection.id),
            },
        )


def _dispatch(
    session_factory: sessionmaker[Session],
    host: CommitHost,
    claim: _Claim,
    now: datetime,
    retry_first_s: float,
) -> bool:
    """Dispatch a claimed step; whether it went (or may have gone) out."""
    error: GitHubError | None = None
    try:
        host.dispatch_workflow(claim.repository, claim.workflow, ref=claim.ref, inputs=claim.inputs)
    except GitHubError as raised:
        error = raised
    with transaction(session_factory) as session:
        # Locked: a result judged meanwhile must not be written over.
        step = session.execute(
            select(models.BisectionStep)
            .where(models.BisectionStep.id == claim.step_id)
            .with_for_update()
        ).scalar_one()
        bisection = session.get(models.Bisection, claim.bisection_id)
        assert bisection is not None
        if isinstance(error, TransientGitHubError):
            log.warning("dispatch of bisection step %s failed: %s", step.id, error)
            step.state = BisectionStepState.PENDING
            step.last_error = str(error)[:2000]
            step.next_attempt_at = now + timedelta(seconds=backoff_s(step.attempts, retry_first_s))
            return False
        if isinstance(error, PermanentGitHubError):
            step.last_error = str(error)[:2000]
            _conclude(session, bisection, BisectionState.FAILED, f"dispatch refused: {error}", now)
            return False
        if step.state is BisectionStepState.DISPATCHING:  # a fast result may have answered it
            step.state = BisectionStepState.DISPATCHED
        step.dispatched_at = now
        step.last_error = None if error is None else f"outcome unknown: {error}"[:2000]
        mark_for_refresh(session, [claim.alert_id])
        return True
