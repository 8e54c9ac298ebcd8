"""Bisections: an alert's commit range searched for its culprit by runs at commits inside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId, JSONDocument, str_enum
from tracker.vocabulary import BisectionState, BisectionStepState, Verdict


class Bisection(Base):
    """One search of an alert's range: the commits in it, the part that still holds the culprit
    (`good_index`, `bad_index`], the tracks that judge each run, and the budget."""

    __tablename__ = "bisections"
    __table_args__ = (Index(None, "state"), Index(None, "alert_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    engine: Mapped[str] = mapped_column(String(100))
    repository: Mapped[str] = mapped_column(String(300))  # owner/name on GitHub
    workflow: Mapped[str] = mapped_column(String(300))
    ref: Mapped[str] = mapped_column(String(300))
    state: Mapped[BisectionState] = mapped_column(str_enum(BisectionState, "bisection_state"))
    base_commit: Mapped[str] = mapped_column(String(100))
    head_commit: Mapped[str] = mapped_column(String(100))
    # [{"sha", "title", "pull_request"}] after base up to head, oldest first; [] until listed.
    commits: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    good_index: Mapped[int]  # -1: the base
    bad_index: Mapped[int]
    # [{"config_id", "metric", "interactivity", "before", "after", "sigma"}]
    tracks: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    configs: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)  # sent to the workflow
    max_runs: Mapped[int]
    runs_used: Mapped[int]
    culprit_index: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class BisectionStep(Base):
    """One run asked of the engine's CI at one commit: dispatched once (an outbox row), then
    judged when its result comes back as a submission."""

    __tablename__ = "bisection_steps"
    __table_args__ = (
        UniqueConstraint("bisection_id", "number"),
        Index(None, "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bisection_id: Mapped[int] = mapped_column(ForeignKey("bisections.id", ondelete="CASCADE"))
    number: Mapped[int]
    commit_index: Mapped[int]
    sha: Mapped[str] = mapped_column(String(100))
    rerun: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[BisectionStepState] = mapped_column(
        str_enum(BisectionStepState, "bisection_step_state")
    )
    attempts: Mapped[int]
    # Also a lease: a dispatch in flight pushes it forward so no other worker takes the step.
    next_attempt_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    verdict: Mapped[Verdict | None] = mapped_column(str_enum(Verdict, "verdict"))
    evidence: Mapped[float | None] = mapped_column(Float)
    values: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
