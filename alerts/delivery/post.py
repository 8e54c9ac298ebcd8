"""Delivering an alert: one parent per channel, its thread, late changes, edits, digests.

The outbox (one row per alert and channel) calls these functions. `chat.postMessage` has no
idempotency key, so exactly-once rests on one rule: when an earlier attempt for the same
alert and channel may have sent something (the worker died between sending and marking, or
a call failed with `outcome_unknown`), call again with `resume=True`. The parent is then
looked up by its metadata in the channel's recent history and reused, and thread parts that
are already there are skipped (docs/alerts.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alerts.delivery.notifier import Notifier, ThreadPart, file_part_name
from alerts.messages.alert import detail_messages, late_change_messages, parent_message
from alerts.messages.blocks import Message
from alerts.messages.digest import digest_messages
from alerts.messages.model import AlertChart, AlertSummary, ChangeSummary, Digest


@dataclass(frozen=True)
class AlertDelivery:
    """What a delivery did in one channel."""

    channel: str
    parent_ts: str
    reused_parent: bool  # the parent was already in the channel (an earlier attempt sent it)
    parts_posted: tuple[str, ...]


def deliver_alert(
    notifier: Notifier,
    *,
    channel: str,
    alert: AlertSummary,
    chart: AlertChart | None = None,
    resume: bool = False,
) -> AlertDelivery:
    """Post the alert's parent in `channel`, its details in the thread, then the chart.

    With `resume=True` an existing parent (found by metadata) is brought up to date with
    `chat.update` instead of being posted again, and only the missing thread parts are sent.
    """
    existing = notifier.find_parent(channel=channel, alert_id=alert.alert_id) if resume else None
    if existing is None:
        parent_ts = notifier.post_parent(
            channel=channel, alert_id=alert.alert_id, message=parent_message(alert)
        )
        already_there: frozenset[str] = frozenset()
    else:
        parent_ts = existing
        notifier.update_parent(
            channel=channel, ts=parent_ts, alert_id=alert.alert_id, message=parent_message(alert)
        )
        already_there = notifier.thread_parts(channel=channel, thread_ts=parent_ts)

    posted = _post_parts(
        notifier,
        channel=channel,
        thread_ts=parent_ts,
        alert_id=alert.alert_id,
        prefix="details",
        messages=detail_messages(alert),
        skip=already_there,
    )
    if chart is not None and file_part_name(chart.title) not in already_there:
        # matplotlib loads only where a chart is drawn: the API and most workers never pay for it.
        from alerts.delivery.chart import render_alert_chart  # noqa: PLC0415

        notifier.upload_chart(
            channel=channel, thread_ts=parent_ts, png=render_alert_chart(chart), title=chart.title
        )
        posted.append(file_part_name(chart.title))
    return AlertDelivery(
        channel=channel,
        parent_ts=parent_ts,
        reused_parent=existing is not None,
        parts_posted=tuple(posted),
    )


def deliver_late_changes(
    notifier: Notifier,
    *,
    channel: str,
    parent_ts: str,
    alert: AlertSummary,
    joined: Sequence[ChangeSummary],
    joined_late_total: int | None = None,
    resume: bool = False,
) -> tuple[str, ...]:
    """Reply in the alert's thread with the changes that joined after the parent was sent,
    then edit the parent to include them (never a second parent).

    `alert` already holds every change, `joined` included; `joined_late_total` counts all late
    joiners so far (default: `len(joined)`). Returns the names of the replies posted.
    """
    ids = sorted(change.change_id for change in joined)
    prefix = f"late-{ids[0]}-{ids[-1]}-{len(ids)}" if ids else "late"
    already_there = (
        notifier.thread_parts(channel=channel, thread_ts=parent_ts) if resume else frozenset()
    )
    posted = _post_parts(
        notifier,
        channel=channel,
        thread_ts=parent_ts,
        alert_id=alert.alert_id,
        prefix=prefix,
        messages=late_change_messages(alert, joined),
        skip=already_there,
    )
    refresh_parent(
        notifier,
        channel=channel,
        parent_ts=parent_ts,
        alert=alert,
        joined_late=len(joined) if joined_late_total is None else joined_late_total,
    )
    return tuple(posted)


def refresh_parent(
    notifier: Notifier, *, channel: str, parent_ts: str, alert: AlertSummary, joined_late: int = 0
) -> None:
    """Edit the parent to show the alert as it is now: a new triage state, a retraction."""
    notifier.update_parent(
        channel=channel,
        ts=parent_ts,
        alert_id=alert.alert_id,
        message=parent_message(alert, joined_late=joined_late),
    )


RESOLUTION_PART = "resolved"


def deliver_notice(
    notifier: Notifier,
    *,
    channel: str,
    alert_id: int,
    parent: Message,
    resolution: Message | None,
    parent_ts: str | None = None,
    resume: bool = False,
) -> str:
    """Post (or, with `parent_ts`, edit) the parent of a stale or drift alert; once it resolved,
    reply once in its thread to say so. Returns the parent's ts.

    With `resume=True` a parent an earlier attempt may have sent is looked up and edited.
    """
    if parent_ts is None and resume:
        parent_ts = notifier.find_parent(channel=channel, alert_id=alert_id)
    if parent_ts is None:
        parent_ts = notifier.post_parent(channel=channel, alert_id=alert_id, message=parent)
    else:
        notifier.update_parent(channel=channel, ts=parent_ts, alert_id=alert_id, message=parent)
    if resolution is not None:
        _post_parts(
            notifier,
            channel=channel,
            thread_ts=parent_ts,
            alert_id=alert_id,
            prefix=RESOLUTION_PART,
            messages=[resolution],
            skip=notifier.thread_parts(channel=channel, thread_ts=parent_ts),
        )
    return parent_ts


def deliver_digest(notifier: Notifier, *, channel: str, digest: Digest) -> str:
    """Post the digest; when it runs to several messages, the rest go in its thread.

    Returns the ts of the first message.
    """
    first, *rest = digest_messages(digest)
    digest_ts = notifier.post_digest(channel=channel, message=first)
    for message in rest:
        notifier.post_thread(channel=channel, thread_ts=digest_ts, message=message)
    return digest_ts


def _post_parts(
    notifier: Notifier,
    *,
    channel: str,
    thread_ts: str,
    alert_id: int,
    prefix: str,
    messages: Sequence[Message],
    skip: frozenset[str],
) -> list[str]:
    posted = []
    for index, message in enumerate(messages, start=1):
        name = f"{prefix}-{index}"
        if name in skip:
            continue
        notifier.post_thread(
            channel=channel,
            thread_ts=thread_ts,
            message=message,
            part=ThreadPart(alert_id=alert_id, name=name),
        )
        posted.append(name)
    return posted
