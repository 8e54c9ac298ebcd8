"""What was measured: configs (a series is one config's history), sweeps, rows, frontier values."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.configs.fields import CONFIG_FIELD_TYPES, ConfigValue
from tracker.models.base import Base, BigId, str_enum
from tracker.vocabulary import Metric, NoValuesReason


class Config(Base):
    """The identity of what was measured (docs/configs.md); a series is one config's history."""

    __tablename__ = "configs"
    __table_args__ = (
        Index(None, "model", "hardware", "precision", "isl", "osl"),
        Index(None, "framework", "hardware"),
        # The few configs whose history has no value yet: the lists' "in the history" test
        # searches their sweeps only (tracker.reads.filters.in_history).
        Index(
            "ix_configs_without_latest_sweep",
            "id",
            postgresql_where=text("latest_sweep_id IS NULL"),
            sqlite_where=text("latest_sweep_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hardware: Mapped[str] = mapped_column(String(100))
    prefill_hardware: Mapped[str | None] = mapped_column(String(100))
    decode_hardware: Mapped[str | None] = mapped_column(String(100))
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
    # The newest sweep with any frontier value, kept by the worker: lists of thousands of
    # series read their latest values by a join instead of a search per series.
    latest_sweep_id: Mapped[int | None] = mapped_column(
        ForeignKey("sweeps.id", use_alter=True, ondelete="SET NULL")
    )
    latest_at: Mapped[datetime | None]

    def as_dict(self) -> dict[str, ConfigValue]:
        """The canonical fields (docs/configs.md), derived `gpus` and `wide_ep` included."""
        return {name: getattr(self, name) for name in CONFIG_FIELD_TYPES}


class Sweep(Base):
    """The rows of one config in one source run, across concurrency; a run posted per job
    (a sweep key) assembles its jobs' rows of one config into one sweep."""

    __tablename__ = "sweeps"
    __table_args__ = (
        UniqueConstraint("config_id", "source_run_id"),
        UniqueConstraint("assembly_id", "config_id"),
        Index(None, "config_id", "timestamp"),
        Index(None, "source_run_id"),
        # A series' few sweeps without values, or with degraded points, among its whole history.
        Index(
            "ix_sweeps_without_values",
            "config_id",
            "timestamp",
            postgresql_where=text("no_values_reason IS NOT NULL"),
            sqlite_where=text("no_values_reason IS NOT NULL"),
        ),
        Index(
            "ix_sweeps_degraded",
            "config_id",
            "timestamp",
            postgresql_where=text("degraded IS NOT NULL"),
            sqlite_where=text("degraded IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    # The source run that opened the sweep (the first post of an assembled one).
    source_run_id: Mapped[int] = mapped_column(ForeignKey("source_runs.id", ondelete="CASCADE"))
    assembly_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sweep_assemblies.id", ondelete="CASCADE")
    )
    # The source run's timestamp (an assembled sweep's earliest), copied so that a series'
    # history is one index range.
    timestamp: Mapped[datetime]
    components: Mapped[dict[str, Any]]
    # Written with the frontier values: the points left out of the front for failed requests
    # and the targets that withheld for them (docs/frontier.md), null when none; and why the
    # sweep has no frontier value at all, null when it has one.
    degraded: Mapped[dict[str, Any] | None]
    no_values_reason: Mapped[NoValuesReason | None] = mapped_column(
        str_enum(NoValuesReason, "no_values_reason")
    )


class ResultRow(Base):
    """One benchmark point; hot metrics are columns, every other field is kept in ``extra``."""

    __tablename__ = "result_rows"

    sweep_id: Mapped[int] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True
    )
    conc: Mapped[int] = mapped_column(primary_key=True)
    median_intvty: Mapped[float] = mapped_column(Float)
    tput_per_gpu: Mapped[float] = mapped_column(Float)
    output_tput_per_gpu: Mapped[float | None] = mapped_column(Float)
    input_tput_per_gpu: Mapped[float | None] = mapped_column(Float)
    median_ttft_s: Mapped[float | None] = mapped_column(Float)
    p99_ttft_s: Mapped[float | None] = mapped_column(Float)
    median_tpot_s: Mapped[float | None] = mapped_column(Float)
    median_e2el_s: Mapped[float | None] = mapped_column(Float)
    # Only from rows with valid power fields (docs/formats.md#energy).
    joules_per_output_token: Mapped[float | None] = mapped_column(Float)
    # Request counts as the row states them (docs/formats.md#failed-requests).
    completed: Mapped[int | None]
    requested: Mapped[int | None]
    failed: Mapped[int | None]
    extra: Mapped[dict[str, Any]]


class FrontierValue(Base):
    """A metric read off a sweep's Pareto front at one target interactivity (docs/frontier.md)."""

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
    metric: Mapped[Metric] = mapped_column(str_enum(Metric, "metric"), primary_key=True)
    interactivity: Mapped[float] = mapped_column(Float, primary_key=True)
    # Copied from the sweep (no foreign key: the sweep's implies it) so that a trend read is a
    # single index range scan.
    config_id: Mapped[int]
    timestamp: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)


class CandidateFrontierValue(Base):
    """A candidate's frontier value (docs/api.md#verdicts): read off its sweep's front like a
    `FrontierValue`, kept apart so that no track, trend or latest value ever reads it."""

    __tablename__ = "candidate_frontier_values"

    sweep_id: Mapped[int] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[Metric] = mapped_column(str_enum(Metric, "metric"), primary_key=True)
    interactivity: Mapped[float] = mapped_column(Float, primary_key=True)
    config_id: Mapped[int]
    value: Mapped[float] = mapped_column(Float)
