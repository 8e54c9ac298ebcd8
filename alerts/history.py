"""An alert's state changes: who set which state when, and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tracker import models

TRACKER = "tracker"
"""Who, when the tracker itself sets a state (creation, retraction, revival)."""


def set_state(
    session: Session,
    alert: models.Alert,
    state: models.AlertState,
    *,
    now: datetime,
    note: str | None,
    who: str = TRACKER,
) -> None:
    alert.state = state
    alert.updated_at = now
    session.add(models.AlertStateChange(alert_id=alert.id, state=state, who=who, note=note, at=now))
