"""Reads of alerts for the API and the dashboard: the list, one alert, and the digest."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.bisection.start import current_bisection
from alerts.digests import DIGEST_TARGETS, FAMILY_FIELDS, family_figures, period_notices
from alerts.messages.model import DigestNotice
from alerts.relations import related_alerts
from tracker import models
from tracker.errors import NotFound
from tracker.processing.frontier import target_label
from tracker.reads.changes import Change, CommitRange, change_of, changes_with_configs
from tracker.reads.pagination import Page, newest_first
from tracker.vocabulary import (
    AlertKind,
    AlertState,
    BisectionState,
    BisectionStepState,
    ChangeDirection,
    ChangeState,
    DeliveryStatus,
    Verdict,
)


@dataclass(frozen=True)
class Delivery:
    channel: str
    status: DeliveryStatus
    sent_at: datetime | None


@dataclass(frozen=True)
class AlertItem:
    """An alert as lists show it: its slice summary, counts, relations and deliveries."""

    id: int
    kind: AlertKind
    engine: str
    commit_range: CommitRange
    state: AlertState
    summary: str
    details: dict[str, Any]
    regressions: int
    gains: int
    series: int
    change_ids: list[int]
    related_alert_ids: list[int]
    deliveries: list[Delivery]
    created_at: datetime


@dataclass(frozen=True)
class StateChange:
    state: AlertState
    who: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class BisectionCommit:
    sha: str
    title: str
    pull_request: int | None


@dataclass(frozen=True)
class BisectionStepRead:
    number: int
    commit: BisectionCommit
    rerun: bool
    state: BisectionStepState
    verdict: Verdict | None
    evidence: float | None
    """Log-likelihood ratio, before-like against after-like."""
    dispatched_at: datetime | None
    submission_id: int | None
    last_error: str | None


@dataclass(frozen=True)
class BisectionRead:
    """An alert's latest bisection: where the culprit still may be, and the runs asked for."""

    id: int
    state: BisectionState
    repository: str
    commits: int
    """In the alert's whole range."""
    remaining: list[BisectionCommit]
    """The commits that may still be the culprit, oldest first."""
    culprit: BisectionCommit | None
    runs_used: int
    max_runs: int
    reason: str | None
    started_by: str
    created_at: datetime
    finished_at: datetime | None
    steps: list[BisectionStepRead]


@dataclass(frozen=True)
class AlertDetail(AlertItem):
    changes: list[Change]
    """Retracted ones included."""
    history: list[StateChange]
    bisection: BisectionRead | None


def _commit(entry: dict[str, Any]) -> BisectionCommit:
    return BisectionCommit(
        sha=entry["sha"], title=entry["title"], pull_request=entry.get("pull_request")
    )


def read_bisection(session: Session, alert_id: int) -> BisectionRead | None:
    """The alert's latest bisection with its steps, or None."""
    bisection = current_bisection(session, alert_id)
    if bisection is None:
        return None
    steps = session.execute(
        select(models.BisectionStep)
        .where(models.BisectionStep.bisection_id == bisection.id)
        .order_by(models.BisectionStep.number)
    ).scalars()
    commits = bisection.commits
    return BisectionRead(
        id=bisection.id,
        state=bisection.state,
        repository=bisection.repository,
        commits=len(commits),
        remaining=[_commit(c) for c in commits[bisection.good_index + 1 : bisection.bad_index + 1]],
        culprit=(
            _commit(commits[bisection.culprit_index])
            if bisection.culprit_index is not None
            else None
        ),
        runs_used=bisection.runs_used,
        max_runs=bisection.max_runs,
        reason=bisection.reason,
        started_by=bisection.started_by,
        created_at=bisection.created_at,
        finished_at=bisection.finished_at,
        steps=[
            BisectionStepRead(
                number=step.number,
                commit=_commit(commits[step.commit_index]),
                rerun=step.rerun,
                state=step.state,
                verdict=step.verdict,
                evidence=step.evidence,
                dispatched_at=step.dispatched_at,
                submission_id=step.submission_id,
                last_error=step.last_error,
            )
            for step in steps
        ],
    )


def alert_items(session: Session, alerts: Sequence[models.Alert]) -> list[AlertItem]:
    if not alerts:
        return []
    alert_ids = [alert.id for alert in alerts]
    change_ids: dict[int, list[int]] = defaultdict(list)
    directions: dict[int, Counter[ChangeDirection]] = defaultdict(Counter)
    series: dict[int, set[int]] = defaultdict(set)
    for change_id, alert_id, direction, config_id in session.execute(
        select(
            models.ChangePoint.id,
            models.ChangePoint.alert_id,
            models.ChangePoint.direction,
            models.ChangePoint.config_id,
        )
        .where(
            models.ChangePoint.alert_id.in_(alert_ids),
            models.ChangePoint.state == ChangeState.CONFIRMED,
        )
        .order_by(models.ChangePoint.id)
    ).all():
        assert alert_id is not None
        change_ids[alert_id].append(change_id)
        directions[alert_id][direction] += 1
        series[alert_id].add(config_id)
    deliveries: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in session.execute(
        select(models.AlertDelivery)
        .where(models.AlertDelivery.alert_id.in_(alert_ids))
        .order_by(models.AlertDelivery.channel)
    ).scalars():
        deliveries[delivery.alert_id].append(
            Delivery(channel=delivery.channel, status=delivery.status, sent_at=delivery.sent_at)
        )
    related = related_alerts(session, alert_ids)
    return [
        AlertItem(
            id=alert.id,
            kind=alert.kind,
            engine=alert.engine,
            commit_range=CommitRange(
                from_=alert.commit_from,
                to=alert.commit_to,
                compare_url=alert.compare_url,
                runs_after=alert.range_start,
                runs_through=alert.range_end,
            ),
            state=alert.state,
            summary=alert.summary,
            details=alert.details,
            regressions=directions[alert.id][ChangeDirection.REGRESSION],
            gains=directions[alert.id][ChangeDirection.GAIN],
            series=len(series[alert.id] or _notice_series(alert)),
            change_ids=change_ids[alert.id],
            related_alert_ids=sorted({other.alert_id for other in related.get(alert.id, ())}),
            deliveries=deliveries[alert.id],
            created_at=alert.created_at,
        )
        for alert in alerts
    ]


def _notice_series(alert: models.Alert) -> set[int]:
    """The series a stale, drift or rank alert names (a step alert's: its change points')."""
    if alert.kind in (AlertKind.STALE, AlertKind.RANK):
        return set(alert.details["config_ids"])
    if alert.kind is AlertKind.DRIFT:
        return {entry["series_id"] for entry in alert.details["tracks"]}
    return set()


def list_alerts(
    *,
    session: Session,
    state: AlertState | None,
    engine: str | None,
    limit: int,
    cursor: str | None,
    kind: AlertKind | None = None,
) -> Page[AlertItem]:
    """Alerts newest first; all states and kinds unless ``state`` or ``kind`` is given."""
    query = select(models.Alert)
    if kind is not None:
        query = query.where(models.Alert.kind == kind)
    if state is not None:
        query = query.where(models.Alert.state == state)
    if engine is not None:
        query = query.where(models.Alert.engine == engine)
    page = newest_first(
        session=session,
        query=query,
        timestamp=models.Alert.created_at,
        key=models.Alert.id,
        since=None,
        until=None,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=alert_items(session, [row[0] for row in page.items]), next_cursor=page.next_cursor
    )


def get_alert(*, session: Session, alert_id: int) -> AlertDetail:
    """An alert with its change points (retracted ones too, marked so) and state history."""
    alert = session.get(models.Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    (item,) = alert_items(session, [alert])
    changes = session.execute(
        changes_with_configs()
        .where(models.ChangePoint.alert_id == alert_id)
        .order_by(models.ChangePoint.run_timestamp, models.ChangePoint.id)
    ).all()
    history = session.execute(
        select(models.AlertStateChange)
        .where(models.AlertStateChange.alert_id == alert_id)
        .order_by(models.AlertStateChange.at, models.AlertStateChange.id)
    ).scalars()
    return AlertDetail(
        **vars(item),
        changes=[change_of(change, config) for change, config in changes],
        history=[StateChange(state=h.state, who=h.who, note=h.note, at=h.at) for h in history],
        bisection=read_bisection(session, alert_id),
    )


@dataclass(frozen=True)
class FamilyLine:
    """One engine × GPU × config family of the digest (docs/alerts.md#digests)."""

    engine: str
    hardware: str
    family: dict[str, str | int | bool]
    label: str
    now: dict[str, float]
    then: dict[str, float]
    relative_change: dict[str, float]
    changes: list[Change]


@dataclass(frozen=True)
class DigestReport:
    days: int
    since: datetime
    generated_at: datetime
    lines: list[FamilyLine]
    notices: list[DigestNotice]


def _by_label(values: dict[float, float]) -> dict[str, float]:
    return {target_label(target): values[target] for target in DIGEST_TARGETS if target in values}


def read_digest(*, session: Session, days: int, now: datetime) -> DigestReport:
    """The digest of the last ``days`` as the API answers it."""
    figures = family_figures(session=session, days=days, now=now)
    step_ids = [step.change_id for family in figures for step in family.steps]
    changes = {
        change.id: change_of(change, config)
        for change, config in session.execute(
            changes_with_configs().where(models.ChangePoint.id.in_(step_ids))
        ).all()
    }
    lines = []
    for family in figures:
        engine, hardware, *fields = family.key
        lines.append(
            FamilyLine(
                engine=engine,
                hardware=hardware,
                family=dict(zip(FAMILY_FIELDS, fields, strict=True)),
                label=family.label,
                now=_by_label(family.now),
                then=_by_label(family.then),
                relative_change={
                    target_label(t): family.now[t] / family.then[t] - 1
                    for t in DIGEST_TARGETS
                    if t in family.now and t in family.then
                },
                changes=[changes[step.change_id] for step in family.steps],
            )
        )
    since = now - timedelta(days=days)
    return DigestReport(
        days=days,
        since=since,
        generated_at=now,
        lines=lines,
        notices=list(period_notices(session=session, since=since, until=now)),
    )
