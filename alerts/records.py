"""The alert rows that grouping, triage and retraction write: state changes (who set which
state when, and why) and outbox rows. Imports no message builder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker import models
from tracker.vocabulary import AlertState, DeliveryStatus

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
