"""The Slack outbox: one row per (alert, channel), worked through by the delivery pass.

Exactly once per alert and channel (docs/alerts.md): before an attempt the row is marked `sending`
and leased (committed); after it, `sent` with the parent's ts (committed). A row found `sending`
again — a worker died between the two, or Slack's answer was lost — is resumed: the parent is looked
up by its metadata in the channel's history and reused, never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts.delivery.leases import release_after_outage
from alerts.delivery.notifier import DeliveryError, LogNotifier, Notifier, TransientDeliveryError
from alerts.delivery.post import (
    deliver_alert,
    deliver_late_changes,
    deliver_notice,
    refresh_parent,
)
from alerts.messages.rollup import headline
from alerts.summaries import alert_chart, alert_summary, notice_messages
from tracker import models
from tracker.clock import backoff_s
from tracker.db.engine import DATABASE_OUTAGES, transaction
from tracker.settings import Settings
from tracker.vocabulary import AlertKind, AlertState, ChangeState, DeliveryStatus

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0
"""An attempt in flight holds its row this long; a worker that died gives it back after."""
FIRST_RETRY_SECONDS = 10.0


def build_notifier(settings: Settings) -> Notifier:
    """Slack when a token is configured; otherwise the same words go to the log."""
    if settings.slack_token is None:
        return LogNotifier()
    from alerts.delivery.slack import SlackNotifier, build_slack_client  # noqa: PLC0415 (only with Slack)

    client = build_slack_client(settings.slack_token.get_secret_value(), settings.slack_api_url)
    return SlackNotifier(client)


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    alert_id: int
    channel: str
    first_send: bool
    resume: bool
    parent_ts: str | None
    delivered: frozenset[int]
    late_change_count: int


@dataclass
class DeliveryPass:
    sent: int = 0
    updated: int = 0
    retrying: int = 0
    failed: int = 0


def _claim(session: Session, now: datetime) -> _Claim | None:
    """Take one due row: mark it in flight and lease it, so no other worker takes it."""
    # A first post waits while its alert is void (every change retracted, or a stale or drift
    # alert that ended before it was posted): nothing is posted that is already void, and a
    # change confirmed again makes it due once more.
    void = (
        select(models.Alert.id)
        .where(
            models.Alert.id == models.AlertDelivery.alert_id,
            models.Alert.state.in_((AlertState.RETRACTED, AlertState.RESOLVED)),
        )
        .exists()
    )
    due = or_(
        models.AlertDelivery.status == DeliveryStatus.SENDING,
        (models.AlertDelivery.status == DeliveryStatus.PENDING) & ~void,
        (models.AlertDelivery.status == DeliveryStatus.SENT)
        & models.AlertDelivery.needs_refresh.is_(True),
    )
    row = session.execute(
        select(models.AlertDelivery)
        .where(due, models.AlertDelivery.next_attempt_at <= now)
        .order_by(models.AlertDelivery.next_attempt_at, models.AlertDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if row is None:
        return None
    first_send = row.status is not DeliveryStatus.SENT
    claim = _Claim(
        delivery_id=row.id,
        alert_id=row.alert_id,
        channel=row.channel,
        first_send=first_send,
        resume=row.status is DeliveryStatus.SENDING or not first_send,
        parent_ts=row.parent_ts,
        delivered=frozenset(row.delivered_change_ids),
        late_change_count=row.late_change_count,
    )
    if first_send:
        row.status = DeliveryStatus.SENDING
    row.attempts += 1
    row.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
    return claim


def _deliver(
    claim: _Claim, session: Session, notifier: Notifier, public_url: str | None
) -> tuple[str, list[int], int, str | None]:
    """Send what the claim needs; the parent ts, the changes now told of, late count, and the
    slice sentence the parent now states (None when it has no confirmed change to state)."""
    alert = session.get(models.Alert, claim.alert_id)
    assert alert is not None, "deliveries cascade with their alerts"
    if alert.kind is not AlertKind.STEP:
        notice = notice_messages(session=session, alert=alert, public_url=public_url)
        parent_ts = deliver_notice(
            notifier,
            channel=claim.channel,
            alert_id=alert.id,
            parent=notice.parent,
            resolution=notice.resolution,
            parent_ts=claim.parent_ts,
            resume=claim.resume,
        )
        return parent_ts, [], 0, notice.headline
    summary = alert_summary(session=session, alert=alert, public_url=public_url)
    stated = headline(summary) if summary.changes else None
    current_ids = [change.change_id for change in summary.changes]
    if claim.first_send:
        outcome = deliver_alert(
            notifier,
            channel=claim.channel,
            alert=summary,
            chart=alert_chart(session=session, alert=alert) if notifier.accepts_files else None,
            resume=claim.resume,
        )
        return outcome.parent_ts, current_ids, 0, stated
    assert claim.parent_ts is not None, "a sent delivery has its parent"
    joined = [change for change in summary.changes if change.change_id not in claim.delivered]
    late_count = claim.late_change_count + len(joined)
    if joined:
        deliver_late_changes(
            notifier,
            channel=claim.channel,
            parent_ts=claim.parent_ts,
            alert=summary,
            joined=joined,
            joined_late_total=late_count,
            resume=True,
        )
    else:
        refresh_parent(
            notifier,
            channel=claim.channel,
            parent_ts=claim.parent_ts,
            alert=summary,
            joined_late=late_count,
        )
    return claim.parent_ts, sorted(claim.delivered | set(current_ids)), late_count, stated


def run_deliveries(
    *,
    session_factory: sessionmaker[Session],
    notifier: Notifier,
    public_url: str | None,
    now: Callable[[], datetime],
    limit: int = 1000,
) -> DeliveryPass:
    """Work through the due outbox rows, one claim per transaction."""
    result = DeliveryPass()
    for _ in range(limit):
        with transaction(session_factory) as session:
            claim = _claim(session, now())
        if claim is None:
            return result
        try:
            ended_with = _attempt(claim, session_factory, notifier, public_url, now)
        except DATABASE_OUTAGES:
            release_after_outage(session_factory, models.AlertDelivery, claim.delivery_id, now)
            raise
        if ended_with is None and claim.first_send:
            result.sent += 1
        elif ended_with is None:
            result.updated += 1
        elif isinstance(ended_with, TransientDeliveryError):
            result.retrying += 1
        else:
            result.failed += 1
    return result


def _attempt(
    claim: _Claim,
    session_factory: sessionmaker[Session],
    notifier: Notifier,
    public_url: str | None,
    now: Callable[[], datetime],
) -> DeliveryError | None:
    """Deliver a claimed row and mark it; the delivery error it ended with, if any."""
    try:
        with session_factory() as session:
            parent_ts, told, late_count, stated = _deliver(claim, session, notifier, public_url)
    except DeliveryError as error:
        _record_failure(session_factory, claim, error, now())
        return error
    with transaction(session_factory) as session:
        # Changes that joined while the attempt was in flight: the row stays due for a refresh,
        # and the summary is left to that refresh.
        joined_since = set(
            session.execute(
                select(models.ChangePoint.id).where(
                    models.ChangePoint.alert_id == claim.alert_id,
                    models.ChangePoint.state == ChangeState.CONFIRMED,
                )
            ).scalars()
        ) - set(told)
        session.execute(
            update(models.AlertDelivery)
            .where(models.AlertDelivery.id == claim.delivery_id)
            .values(
                status=DeliveryStatus.SENT,
                parent_ts=parent_ts,
                sent_at=now() if claim.first_send else models.AlertDelivery.sent_at,
                delivered_change_ids=told,
                late_change_count=late_count,
                needs_refresh=bool(joined_since),
                last_error=None,
                next_attempt_at=now(),
            )
        )
        if stated is not None and not joined_since:  # the summary reads as its parent does
            session.execute(
                update(models.Alert).where(models.Alert.id == claim.alert_id).values(summary=stated)
            )
    return None


def _record_failure(
    session_factory: sessionmaker[Session], claim: _Claim, error: DeliveryError, now: datetime
) -> None:
    log.warning("delivery of alert %s to %s failed: %s", claim.alert_id, claim.channel, error)
    with transaction(session_factory) as session:
        row = session.get(models.AlertDelivery, claim.delivery_id)
        assert row is not None
        row.last_error = str(error)[:2000]
        if isinstance(error, TransientDeliveryError):
            # Still `sending` for a first send: whatever reached Slack is found on resume.
            row.next_attempt_at = now + timedelta(
                seconds=backoff_s(row.attempts, FIRST_RETRY_SECONDS)
            )
        elif claim.first_send:
            row.status = DeliveryStatus.FAILED
        else:
            row.needs_refresh = False  # the parent stays as it was; the error is on the row
