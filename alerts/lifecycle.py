"""Keeping alerts true to their changes: retraction, revival, and parents to edit (docs/alerts.md).

An alert whose changes are all retracted becomes `retracted` and its Slack parents are edited to
say so; a change that moves or comes back marks the parents for an edit too. Alerts never vanish.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from alerts.records import mark_for_refresh, set_state
from tracker import models
from tracker.vocabulary import AlertKind, AlertState, ChangeDirection, ChangeState

_confirmed_change = (
    select(models.ChangePoint.id)
    .where(
        models.ChangePoint.alert_id == models.Alert.id,
        models.ChangePoint.state == ChangeState.CONFIRMED,
    )
    .exists()
)


def sync_alert_states(*, session: Session, now: datetime) -> list[int]:
    """Retract alerts left without confirmed changes, revive retracted ones whose changes came
    back, and mark parents whose changes moved since the alert last changed. Returns the alerts
    touched. Only `step` alerts are made of change points; the other kinds keep their own."""
    touched: list[int] = []
    for alert in session.execute(
        select(models.Alert).where(
            models.Alert.kind == AlertKind.STEP,
            models.Alert.state != AlertState.RETRACTED,
            ~_confirmed_change,
        )
    ).scalars():
        set_state(session, alert, AlertState.RETRACTED, now=now, note="every change was retracted")
        touched.append(alert.id)
    for alert in session.execute(
        select(models.Alert).where(
            models.Alert.kind == AlertKind.STEP,
            models.Alert.state == AlertState.RETRACTED,
            _confirmed_change,
        )
    ).scalars():
        gains_only = not session.execute(
            select(
                exists().where(
                    models.ChangePoint.alert_id == alert.id,
                    models.ChangePoint.state == ChangeState.CONFIRMED,
                    models.ChangePoint.direction == ChangeDirection.REGRESSION,
                )
            )
        ).scalar()
        revived = AlertState.IMPROVEMENT if gains_only else AlertState.UNTRIAGED
        set_state(session, alert, revived, now=now, note="a retracted change was confirmed again")
        touched.append(alert.id)
    changed_since = session.execute(
        select(models.Alert.id)
        .join(models.ChangePoint, models.ChangePoint.alert_id == models.Alert.id)
        .where(models.ChangePoint.updated_at > models.Alert.updated_at)
        .distinct()
    ).scalars()
    touched.extend(alert_id for alert_id in changed_since if alert_id not in touched)
    if touched:
        session.execute(
            update(models.Alert).where(models.Alert.id.in_(touched)).values(updated_at=now)
        )
        mark_for_refresh(session, touched)
    return touched
