"""Reads of alerts for the API and the dashboard."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker import models, views
from tracker.changes import change_view
from tracker.errors import NotFound
from tracker.pagination import Page, newest_first


def _related_ids(session: Session, alert_ids: Sequence[int]) -> dict[int, list[int]]:
    related: dict[int, set[int]] = defaultdict(set)
    for relation in session.execute(
        select(models.AlertRelation).where(
            or_(
                models.AlertRelation.fix_alert_id.in_(alert_ids),
                models.AlertRelation.fixed_alert_id.in_(alert_ids),
            )
        )
    ).scalars():
        related[relation.fix_alert_id].add(relation.fixed_alert_id)
        related[relation.fixed_alert_id].add(relation.fix_alert_id)
    return {alert_id: sorted(ids) for alert_id, ids in related.items()}


def alert_views(session: Session, alerts: Sequence[models.Alert]) -> list[views.AlertView]:
    alert_ids = [alert.id for alert in alerts]
    change_ids: dict[int, list[int]] = defaultdict(list)
    directions: dict[int, Counter[models.ChangeDirection]] = defaultdict(Counter)
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
            models.ChangePoint.state == models.ChangeState.CONFIRMED,
        )
        .order_by(models.ChangePoint.id)
    ).all():
        assert alert_id is not None
        change_ids[alert_id].append(change_id)
        directions[alert_id][direction] += 1
        series[alert_id].add(config_id)
    deliveries: dict[int, list[views.DeliveryView]] = defaultdict(list)
    for delivery in session.execute(
        select(models.AlertDelivery)
        .where(models.AlertDelivery.alert_id.in_(alert_ids))
        .order_by(models.AlertDelivery.channel)
    ).scalars():
        deliveries[delivery.alert_id].append(
            views.DeliveryView(
                channel=delivery.channel, status=delivery.status.value, sent_at=delivery.sent_at
            )
        )
    related = _related_ids(session, alert_ids)
    return [
        views.AlertView(
            id=alert.id,
            engine=alert.engine,
            commit_range=views.CommitRange(
                from_=alert.commit_from, to=alert.commit_to, compare_url=alert.compare_url
            ),
            state=alert.state.value,
            summary=alert.summary,
            regressions=directions[alert.id][models.ChangeDirection.REGRESSION],
            gains=directions[alert.id][models.ChangeDirection.GAIN],
            series=len(series[alert.id]),
            change_ids=change_ids[alert.id],
            related_alert_ids=related.get(alert.id, []),
            deliveries=deliveries[alert.id],
            created_at=alert.created_at,
        )
        for alert in alerts
    ]


def list_alerts(
    *,
    session: Session,
    state: models.AlertState | None,
    engine: str | None,
    limit: int,
    cursor: str | None,
) -> Page[views.AlertView]:
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
        items=alert_views(session, [row[0] for row in page.items]), next_cursor=page.next_cursor
    )


def get_alert(*, session: Session, alert_id: int) -> views.AlertDetailView:
    """An alert with its change points (retracted ones too, marked so) and state history."""
    alert = session.get(models.Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    (summary,) = alert_views(session, [alert])
    changes = session.execute(
        select(models.ChangePoint, models.Config)
        .join(models.Config, models.Config.id == models.ChangePoint.config_id)
        .where(models.ChangePoint.alert_id == alert_id)
        .order_by(models.ChangePoint.run_timestamp, models.ChangePoint.id)
    ).all()
    history = session.execute(
        select(models.AlertStateChange)
        .where(models.AlertStateChange.alert_id == alert_id)
        .order_by(models.AlertStateChange.at, models.AlertStateChange.id)
    ).scalars()
    return views.AlertDetailView(
        **summary.model_dump(),
        changes=[change_view(change, config) for change, config in changes],
        history=[
            views.StateChangeView(state=h.state.value, who=h.who, note=h.note, at=h.at)
            for h in history
        ],
    )
