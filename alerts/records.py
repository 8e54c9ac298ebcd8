"""The alert rows that grouping, triage and retraction write: state changes (who set which
state when, and why) and outbox rows. Imports no message builder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker import models
from tracker.vocabulary import AlertKind, AlertState, DeliveryStatus

TRACKER = "tracker"
"""Who, when the tracker itself sets a state (creation, retraction, revival)."""


def set_state(
    session: Session,
    alert: models.Alert,
    state: AlertState,
    *,
    now: datetime,
    note: str | None,
    who: str = TRACKER,
) -> None:
    alert.state = state
    alert.updated_at = now
    session.add(models.AlertStateChange(alert_id=alert.id, state=state, who=who, note=note, at=now))


def open_deliveries(
    session: Session, *, alert_id: int, channels: Sequence[str], now: datetime
) -> None:
    for channel in channels:
        session.add(
            models.AlertDelivery(
                alert_id=alert_id,
                channel=channel,
                status=DeliveryStatus.PENDING,
                parent_ts=None,
                attempts=0,
                next_attempt_at=now,
                sent_at=None,
                last_error=None,
                delivered_change_ids=[],
                late_change_count=0,
                needs_refresh=False,
            )
        )


def mark_for_refresh(session: Session, alert_ids: Sequence[int]) -> None:
    """The parents of these alerts are edited (and late changes told) at the next pass."""
    if alert_ids:
        session.execute(
            update(models.AlertDelivery)
            .where(models.AlertDelivery.alert_id.in_(alert_ids))
            .values(needs_refresh=True)
        )


def open_notice(
    session: Session,
    *,
    kind: AlertKind,
    engine: str,
    range_start: datetime,
    range_end: datetime,
    summary: str,
    details: dict[str, Any],
    channels: Sequence[str],
    now: datetime,
) -> models.Alert:
    """A new alert of a kind that keeps what it tells of in `details` (stale, drift): created
    `untriaged`, with one outbox row per channel."""
    alert = models.Alert(
        kind=kind,
        engine=engine,
        state=AlertState.UNTRIAGED,
        range_start=range_start,
        range_end=range_end,
        commit_from=None,
        commit_to=None,
        compare_url=None,
        summary=summary,
        details=details,
        created_at=now,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    set_state(session, alert, AlertState.UNTRIAGED, now=now, note="alert created")
    open_deliveries(session, alert_id=alert.id, channels=channels, now=now)
    return alert


def resolve(session: Session, alert: models.Alert, *, now: datetime, note: str) -> None:
    """The tracker ends an alert whose subject is over; its parents get a reply and an edit."""
    set_state(session, alert, AlertState.RESOLVED, now=now, note=note)
    mark_for_refresh(session, [alert.id])
