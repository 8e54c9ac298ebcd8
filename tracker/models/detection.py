"""What detection keeps: tracks with the detector's state, and change points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId, JSONDocument, str_enum
from tracker.vocabulary import ChangeDirection, ChangeState, Metric


class Track(Base):
    """Series × metric × target interactivity: the input of change-point detection."""

    __tablename__ = "tracks"
    __table_args__ = (
        UniqueConstraint("config_id", "metric", "interactivity"),
        Index(None, "needs_full_analysis"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    metric: Mapped[Metric] = mapped_column(str_enum(Metric, "metric"))
    interactivity: Mapped[float] = mapped_column(Float)
    # The detector's persisted state (tracker.detection.TrackState.to_dict()); null: none yet.
    detector_state: Mapped[dict[str, Any] | None]
    outlier_sweep_ids: Mapped[list[int]] = mapped_column(JSONDocument)
    # Changes in the last runs, not yet confirmed: [{"sweep_id", "timestamp", "direction", …}].
    suspected: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    # A slide past the drift threshold that no detected step explains (tracker.detection.drift);
    # null: none.
    drift: Mapped[dict[str, Any] | None]
    # Set by a backfill; the backfill pass analyses the track and clears it.
    needs_full_analysis: Mapped[bool] = mapped_column(Boolean)
    analysed_at: Mapped[datetime | None]


class ChangePoint(Base):
    """A confirmed shift in a track; kept, as retracted, if later data takes it back."""

    __tablename__ = "change_points"
    __table_args__ = (
        Index(None, "track_id", "state"),
        Index(None, "state", "run_timestamp", "id"),  # the changes list's keyset order
        Index(None, "config_id", "run_timestamp"),
        Index(None, "engine", "state"),
        Index(None, "engine", "range_end_timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"))
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    metric: Mapped[Metric] = mapped_column(str_enum(Metric, "metric"))
    interactivity: Mapped[float] = mapped_column(Float)
    engine: Mapped[str] = mapped_column(String(100))
    direction: Mapped[ChangeDirection] = mapped_column(
        str_enum(ChangeDirection, "change_direction")
    )
    state: Mapped[ChangeState] = mapped_column(str_enum(ChangeState, "change_state"))
    # The most likely first changed sweep, and the last unchanged one before it (outliers
    # skipped).
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    previous_sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    run_timestamp: Mapped[datetime]
    previous_timestamp: Mapped[datetime]
    # The commit range (range_start, range_end]: the last run before the location interval and
    # its last run; the culprit commit is among those after the first, up to the second.
    range_start_sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    range_end_sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    range_start_timestamp: Mapped[datetime]
    range_end_timestamp: Mapped[datetime]
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    relative_change: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    commit_from: Mapped[str | None] = mapped_column(String(100))
    commit_to: Mapped[str | None] = mapped_column(String(100))
    compare_url: Mapped[str | None] = mapped_column(String(1000))
    components_changed: Mapped[dict[str, Any]]
    detected_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retracted_at: Mapped[datetime | None]
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
