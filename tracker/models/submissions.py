"""What was submitted: API tokens, source runs (the bodies as received) and submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId, str_enum
from tracker.vocabulary import DeliveryStatus, SubmissionPurpose, SubmissionStatus, TokenScope


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[TokenScope] = mapped_column(str_enum(TokenScope, "token_scope"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class SourceRun(Base):
    """Where a batch of rows came from (docs/README.md), with the request body kept as received."""

    __tablename__ = "source_runs"
    __table_args__ = (
        # The runs whose raw payload is still kept: what payload retention looks through.
        Index(
            "ix_source_runs_payload_kept",
            "id",
            postgresql_where=text("payload IS NOT NULL"),
            sqlite_where=text("payload IS NOT NULL"),
        ),
        # A candidate's repeats: one engine's runs of one pull request (or branch) and commit.
        Index(None, "engine", "pull_request", "commit"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(500), unique=True)
    # sha256 of the body's bytes; equal JSON with another key order is recognised on comparison.
    body_sha256: Mapped[str] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(100))
    engine_version: Mapped[str | None] = mapped_column(String(200))
    image: Mapped[str | None] = mapped_column(String(500))
    commit: Mapped[str | None] = mapped_column(String(100))
    repo: Mapped[str | None] = mapped_column(String(500))
    branch: Mapped[str | None] = mapped_column(String(200))
    run_url: Mapped[str | None] = mapped_column(String(2000))
    timestamp: Mapped[datetime]
    components: Mapped[dict[str, Any]]
    format: Mapped[str] = mapped_column(String(32))
    # The body as received; NULL once TRACKER_PAYLOAD_RETENTION_DAYS have passed.
    payload: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[SubmissionPurpose] = mapped_column(
        str_enum(SubmissionPurpose, "submission_purpose"), server_default="history"
    )
    # The bisection a run was asked for (purpose "bisect").
    bisection_id: Mapped[int | None] = mapped_column(
        ForeignKey("bisections.id", ondelete="SET NULL")
    )
    sweep_key: Mapped[str | None] = mapped_column(String(500))
    # A candidate's pull request and its base on the tracked branch (docs/api.md#verdicts).
    pull_request: Mapped[int | None]
    base_commit: Mapped[str | None] = mapped_column(String(100))


class SweepAssembly(Base):
    """One CI run posted per job under a sweep key: its sweeps stay open until a post says
    `final` or no post has come for the assembly window (docs/data-flow.md)."""

    __tablename__ = "sweep_assemblies"
    __table_args__ = (Index(None, "assembled_at", "last_post_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sweep_key: Mapped[str] = mapped_column(String(500), unique=True)
    engine: Mapped[str] = mapped_column(String(100))
    commit: Mapped[str | None] = mapped_column(String(100))
    image: Mapped[str | None] = mapped_column(String(500))
    opened_at: Mapped[datetime]
    last_post_at: Mapped[datetime]
    final_at: Mapped[datetime | None]
    # Null while open; set when its sweeps were processed (a later post with new rows opens it
    # again, and it is processed again when it completes).
    assembled_at: Mapped[datetime | None]


class Submission(Base):
    """The processing record of one accepted source run."""

    __tablename__ = "submissions"
    __table_args__ = (Index(None, "status", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_run_id: Mapped[int] = mapped_column(
        ForeignKey("source_runs.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[SubmissionStatus] = mapped_column(
        str_enum(SubmissionStatus, "submission_status")
    )
    error: Mapped[str | None] = mapped_column(Text)
    results: Mapped[int]
    series: Mapped[int]
    # A backfill defers detection to one retrospective pass per touched track.
    backfill: Mapped[bool] = mapped_column(Boolean, server_default=false())
    received_at: Mapped[datetime]
    frontier_written_at: Mapped[datetime | None]
    # When a backfill's tracks were flagged for the backfill pass (by its planner).
    detection_planned_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    # A post under a sweep key is processed with its assembly, not by itself.
    assembly_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sweep_assemblies.id", ondelete="CASCADE"), index=True
    )
    # What the answer says beside the counts (docs/formats.md#the-answer), null when empty.
    skipped: Mapped[list[Any] | None]
    dropped: Mapped[dict[str, Any] | None]
    warnings: Mapped[list[Any] | None]
    repeated: Mapped[int] = mapped_column(server_default=text("0"))


class PullRequestReport(Base):
    """The outbox of one pull request's report on GitHub: one comment, kept up to date, and the
    commit status of its latest candidate (docs/api.md#reports-on-github)."""

    __tablename__ = "pull_request_reports"
    __table_args__ = (
        UniqueConstraint("repository", "pull_request"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    repository: Mapped[str] = mapped_column(String(300))  # owner/name
    pull_request: Mapped[int]
    # The candidate to report (the newest processed), and the one the comment shows now.
    wanted_submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE")
    )
    reported_submission_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    comment_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
