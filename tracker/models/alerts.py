"""Alerts: triage units of change points, their history, relations, the Slack outbox, digests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId, JSONDocument, str_enum
from tracker.vocabulary import AlertKind, AlertState, DeliveryStatus


class Alert(Base):
    """One triage unit (docs/alerts.md): of kind `step`, change points of one engine whose commit
    ranges overlap; `stale` and `drift` alerts keep what they tell of in `details`."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(None, "engine", "range_start"),
        Index(None, "created_at", "id"),  # the alert list's keyset order, with a state or not
        Index(None, "state", "created_at", "id"),
        Index(None, "kind", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(
        str_enum(AlertKind, "alert_kind"), default=AlertKind.STEP, server_default="step"
    )
    engine: Mapped[str] = mapped_column(String(100))
    state: Mapped[AlertState] = mapped_column(str_enum(AlertState, "alert_state"))
    # The union of its changes' half-open ranges (range_start, range_end] of source timestamps.
    range_start: Mapped[datetime]
    range_end: Mapped[datetime]
    commit_from: Mapped[str | None] = mapped_column(String(100))
    commit_to: Mapped[str | None] = mapped_column(String(100))
    compare_url: Mapped[str | None] = mapped_column(String(1000))
    summary: Mapped[str] = mapped_column(Text)
    # What a stale or drift alert tells of (alerts/stale.py, alerts/drift.py); {} for a step.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AlertStateChange(Base):
    __tablename__ = "alert_state_changes"
    __table_args__ = (Index(None, "alert_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    state: Mapped[AlertState] = mapped_column(str_enum(AlertState, "alert_state"))
    who: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class AlertRelation(Base):
    """A later alert whose changes take an earlier one's back to the old level (a fix)."""

    __tablename__ = "alert_relations"

    fix_alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    fixed_alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )


class AlertDelivery(Base):
    """The outbox: one row per alert and channel; exactly one parent message each."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    parent_ts: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int]
    # Also a lease: an attempt in flight pushes it forward so no other worker takes the row.
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The change points the parent and its thread already tell of; others are late joiners.
    delivered_change_ids: Mapped[list[int]] = mapped_column(JSONDocument)
    late_change_count: Mapped[int]  # change points told of in the thread after the parent
    needs_refresh: Mapped[bool] = mapped_column(Boolean)


class DigestPost(Base):
    """A weekly or monthly digest, posted once per period and channel."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("kind", "period_end", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    period_end: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    ts: Mapped[str | None] = mapped_column(String(64))
    posted_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class RankStanding(Base):
    """One rank slice, ranking and target (docs/alerts.md#rank-flips): each competitor's best
    value per day (UTC) of the last days read, kept between rank checks so that a check reads
    only the frontier values that came since the last."""

    __tablename__ = "rank_standings"

    # "engines|dsr1|fp8|1024|1024|mi355x|tput_per_gpu|35.0": mode, slice, ranking, target.
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    slice: Mapped[list[Any]] = mapped_column(JSONDocument)
    ranking: Mapped[str] = mapped_column(String(32))
    target: Mapped[float] = mapped_column(Float)
    # {"2026-06-01": {"sglang": 2410.0, "atom": 2330.0}, …}
    days: Mapped[dict[str, Any]]


class RankCheck(Base):
    """How far the rank check has read frontier values, as sweep ids (one row, id 1): the newest
    sweep read by the last check and by the check before it. A check reads the sweeps after the
    one before's, so a sweep whose transaction committed after a newer one was read is still
    read by the next check; reading a value twice changes no daily best."""

    __tablename__ = "rank_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    read_through: Mapped[int] = mapped_column(BigInteger)
    previous_read_through: Mapped[int] = mapped_column(BigInteger)
