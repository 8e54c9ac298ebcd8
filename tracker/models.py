"""ORM models: the stored record of submissions, configs, sweeps, rows and frontier values."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker.db import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; Postgres gets 64-bit keys.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        dict[str, Any] | None: JSONDocument,
    }


def _str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """An enum stored by value, as a checked string (no native type to migrate)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class TokenScope(enum.StrEnum):
    SUBMIT = "submit"
    TRIAGE = "triage"
    ADMIN = "admin"


class SubmissionStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    PROCESSED = "processed"
    FAILED = "failed"


class Metric(enum.StrEnum):
    """Throughput metrics read off a sweep's front; both are tracked by change-point detection."""

    TPUT_PER_GPU = "tput_per_gpu"
    OUTPUT_TPUT_PER_GPU = "output_tput_per_gpu"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[TokenScope] = mapped_column(_str_enum(TokenScope, "token_scope"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class SourceRun(Base):
    """Where a batch of rows came from (DESIGN §2), with the request body kept as received."""

    __tablename__ = "source_runs"

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
    payload: Mapped[str] = mapped_column(Text)


class Submission(Base):
    """The processing record of one accepted source run."""

    __tablename__ = "submissions"
    __table_args__ = (Index(None, "status", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_run_id: Mapped[int] = mapped_column(
        ForeignKey("source_runs.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[SubmissionStatus] = mapped_column(
        _str_enum(SubmissionStatus, "submission_status")
    )
    error: Mapped[str | None] = mapped_column(Text)
    results: Mapped[int]
    series: Mapped[int]
    # A backfill defers detection to one retrospective pass per touched track.
    backfill: Mapped[bool] = mapped_column(Boolean, server_default=false())
    received_at: Mapped[datetime]
    frontier_written_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]


class Config(Base):
    """The identity of what was measured (DESIGN §3); a series is one config's history."""

    __tablename__ = "configs"
    __table_args__ = (
        Index(None, "model", "hardware", "precision", "isl", "osl"),
        Index(None, "framework", "hardware"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hardware: Mapped[str] = mapped_column(String(100))
    framework: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(300))
    model_prefix: Mapped[str | None] = mapped_column(String(100))
    precision: Mapped[str] = mapped_column(String(32))
    spec_method: Mapped[str] = mapped_column(String(64))
    disagg: Mapped[bool] = mapped_column(Boolean)
    is_multinode: Mapped[bool] = mapped_column(Boolean)
    tp: Mapped[int | None]
    ep: Mapped[int | None]
    pp: Mapped[int | None]
    dcp_size: Mapped[int | None]
    pcp_size: Mapped[int | None]
    dp_attention: Mapped[bool | None] = mapped_column(Boolean)
    prefill_tp: Mapped[int | None]
    prefill_ep: Mapped[int | None]
    prefill_pp: Mapped[int | None]
    prefill_dcp_size: Mapped[int | None]
    prefill_pcp_size: Mapped[int | None]
    prefill_dp_attention: Mapped[bool | None] = mapped_column(Boolean)
    prefill_num_workers: Mapped[int | None]
    decode_tp: Mapped[int | None]
    decode_ep: Mapped[int | None]
    decode_pp: Mapped[int | None]
    decode_dcp_size: Mapped[int | None]
    decode_pcp_size: Mapped[int | None]
    decode_dp_attention: Mapped[bool | None] = mapped_column(Boolean)
    decode_num_workers: Mapped[int | None]
    num_prefill_gpu: Mapped[int | None]
    num_decode_gpu: Mapped[int | None]
    isl: Mapped[int]
    osl: Mapped[int]
    scenario: Mapped[str] = mapped_column(String(64))
    gpus: Mapped[int]
    wide_ep: Mapped[bool] = mapped_column(Boolean)


class Sweep(Base):
    """The rows of one config in one source run, across concurrency."""

    __tablename__ = "sweeps"
    __table_args__ = (
        UniqueConstraint("config_id", "source_run_id"),
        Index(None, "config_id", "timestamp"),
        Index(None, "source_run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    source_run_id: Mapped[int] = mapped_column(ForeignKey("source_runs.id", ondelete="CASCADE"))
    # The source run's timestamp, copied so that a series' history is one index range.
    timestamp: Mapped[datetime]
    components: Mapped[dict[str, Any]]


class ResultRow(Base):
    """One benchmark point; hot metrics are columns, every other field is kept in ``extra``."""

    __tablename__ = "result_rows"
    __table_args__ = (UniqueConstraint("sweep_id", "conc"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    conc: Mapped[int]
    median_intvty: Mapped[float] = mapped_column(Float)
    tput_per_gpu: Mapped[float] = mapped_column(Float)
    output_tput_per_gpu: Mapped[float | None] = mapped_column(Float)
    input_tput_per_gpu: Mapped[float | None] = mapped_column(Float)
    median_ttft_s: Mapped[float | None] = mapped_column(Float)
    median_tpot_s: Mapped[float | None] = mapped_column(Float)
    median_e2el_s: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict[str, Any]]


class FrontierValue(Base):
    """Throughput read off a sweep's Pareto front at one target interactivity (DESIGN §5)."""

    __tablename__ = "frontier_values"
    __table_args__ = (
        Index(
            None,
            "config_id",
            "metric",
            "interactivity",
            "timestamp",
            postgresql_include=["value", "sweep_id"],
        ),
    )

    sweep_id: Mapped[int] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[Metric] = mapped_column(_str_enum(Metric, "metric"), primary_key=True)
    interactivity: Mapped[float] = mapped_column(Float, primary_key=True)
    # Copied from the sweep so that a trend read is a single index range scan.
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    timestamp: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)


class ChangeDirection(enum.StrEnum):
    REGRESSION = "regression"
    GAIN = "gain"


class ChangeState(enum.StrEnum):
    CONFIRMED = "confirmed"
    RETRACTED = "retracted"


class Track(Base):
    """Series × metric × target interactivity: the input of change-point detection."""

    __tablename__ = "tracks"
    __table_args__ = (
        UniqueConstraint("config_id", "metric", "interactivity"),
        Index(None, "needs_full_analysis"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    metric: Mapped[Metric] = mapped_column(_str_enum(Metric, "metric"))
    interactivity: Mapped[float] = mapped_column(Float)
    # The detector's persisted state (tracker.detection.TrackState.to_dict()); null: none yet.
    detector_state: Mapped[dict[str, Any] | None]
    outlier_sweep_ids: Mapped[list[int]] = mapped_column(JSONDocument)
    # Changes in the last runs, not yet confirmed: [{"sweep_id", "timestamp", "direction", …}].
    suspected: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    # Set by a backfill; the deferred retrospective pass analyses the track and clears it.
    needs_full_analysis: Mapped[bool] = mapped_column(Boolean)
    analysed_at: Mapped[datetime | None]


class ChangePoint(Base):
    """A confirmed shift in a track; kept, as retracted, if later data takes it back."""

    __tablename__ = "change_points"
    __table_args__ = (
        Index(None, "track_id", "state"),
        Index(None, "state", "run_timestamp"),
        Index(None, "config_id", "run_timestamp"),
        Index(None, "engine", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"))
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    metric: Mapped[Metric] = mapped_column(_str_enum(Metric, "metric"))
    interactivity: Mapped[float] = mapped_column(Float)
    engine: Mapped[str] = mapped_column(String(100))
    direction: Mapped[ChangeDirection] = mapped_column(
        _str_enum(ChangeDirection, "change_direction")
    )
    state: Mapped[ChangeState] = mapped_column(_str_enum(ChangeState, "change_state"))
    # The first changed sweep, and the last unchanged one before it (outliers skipped).
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    previous_sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    run_timestamp: Mapped[datetime]
    previous_timestamp: Mapped[datetime]
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
