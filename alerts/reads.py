"""Reads of alerts for the API and the dashboard: the list, one alert, and the digest."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.digests import DIGEST_TARGETS, FAMILY_FIELDS, family_figures
from alerts.relations import related_alerts
from tracker import models
from tracker.errors import NotFound
from tracker.processing.frontier import target_label
from tracker.reads.changes import Change, CommitRange, change_of, changes_with_configs
from tracker.reads.pagination import Page, newest_first
from tracker.vocabulary import AlertState, ChangeDirection, ChangeState, DeliveryStatus


@dataclass(frozen=True)
class Delivery:
    channel: str
    status: DeliveryStatus
    sent_at: datetime | None


@dataclass(frozen=True)
class AlertItem:
    """An alert as lists show it: its slice summary, counts, relations and deliveries."""

    id: int
    engine: str
    commit_range: CommitRange
    state: AlertState
    summary: str
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
class AlertDetail(AlertItem):
    changes: list[Change]
    """Retracted ones included."""
    history: list[StateChange]


def alert_items(session: Session, alerts: Sequence[models.Alert]) -> list[AlertItem]:
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
            regressions=directions[alert.id][ChangeDirection.REGRESSION],
            gains=directions[alert.id][ChangeDirection.GAIN],
            series=len(series[alert.id]),
            change_ids=change_ids[alert.id],
            related_alert_ids=sorted({other.alert_id for other in related.get(alert.id, ())}),
            deliveries=deliveries[alert.id],
            created_at=alert.created_at,
        )
        for alert in alerts
    ]


def list_alerts(
    *,
    session: Session,
    state: AlertState | None,
    engine: str | None,
    limit: int,
    cursor: str | None,
) -> Page[AlertItem]:
    """Alerts newest first; all states unless ``state`` is given."""
    query = select(models.Alert)
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
    return DigestReport(days=days, since=now - timedelta(days=days), generated_at=now, lines=lines)
