"""Giving an outbox row's lease back after a database outage, shared by the Slack outbox and the
pull-request outbox: an attempt cut by an outage (before or after the far side heard it) makes
its row due again as soon as the database answers, so that the task's retry resumes it at once
(found by its marker or metadata, not sent twice) instead of after the lease."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tracker import models
from tracker.db.engine import DATABASE_OUTAGES, transaction

RELEASE_WAIT_SECONDS = 30.0
"""How long an attempt cut by a database outage waits for the database to give its lease back
(beyond that, the lease runs out by itself)."""

OutboxRow = type[models.AlertDelivery] | type[models.PullRequestReport]


def release_after_outage(
    session_factory: sessionmaker[Session],
    row: OutboxRow,
    row_id: int,
    now: Callable[[], datetime],
) -> None:
    """Make the row due now, retrying while the database is down, for `RELEASE_WAIT_SECONDS`."""
    deadline = time.monotonic() + RELEASE_WAIT_SECONDS
    while True:
        try:
            with transaction(session_factory) as session:
                session.execute(update(row).where(row.id == row_id).values(next_attempt_at=now()))
            return
        except DATABASE_OUTAGES:
            if time.monotonic() > deadline:
                return
            time.sleep(1.0)
