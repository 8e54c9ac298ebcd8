"""Triage: people set an alert's state, with a note; the history keeps who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alerts.records import mark_for_refresh, set_state
from tracker import models
from tracker.errors import NotFound
from tracker.vocabulary import TRIAGE_STATES, AlertState


def triage_alert(
    *,
    session: Session,
    alert_id: int,
    state: AlertState,
    note: str | None,
    who: str,
    now: datetime,
) -> models.Alert:
    """Set the state (its meaning: docs/alerts.md, README); the Slack parents are edited to show it.

    Never commits.
    """
    alert = session.get(models.Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    assert state in TRIAGE_STATES, "the wire model admits triage states only"
    set_state(session, alert, state, now=now, note=note, who=who)
    mark_for_refresh(session, [alert.id])
    session.flush()
    return alert
