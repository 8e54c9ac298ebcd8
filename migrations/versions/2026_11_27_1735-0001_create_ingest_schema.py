"""Create the ingest schema: tokens, source runs, submissions, configs, sweeps, rows, frontier values.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 17:35:35.396689
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; Postgres gets 64-bit keys.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "submit",
                "triage",
                "admin",
                name="token_scope",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_table(
        "configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("hardware", sa.String(length=100), nullable=False),
        sa.Column("framework", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("model_prefix", sa.String(length=100), nullable=True),
        sa.Column("precision", sa.String(length=32), nullable=False),
        sa.Column("spec_method", sa.String(length=64), nullable=False),
        sa.Column("disagg", sa.Boolean(), nullable=False),
        sa.Column("is_multinode", sa.Boolean(), nullable=False),
        sa.Column("tp", sa.Integer(), nullable=True),
        sa.Column("ep", sa.Integer(), nullable=True),
        sa.Column("pp", sa.Integer(), nullable=True),
        sa.Column("dcp_size", sa.Integer(), nullable=True),
        sa.Column("pcp_size", sa.Integer(), nullable=True),
        sa.Column("dp_attention", sa.Boolean(), nullable=True),
        sa.Column("prefill_tp", sa.Integer(), nullable=True),
        sa.Column("prefill_ep", sa.Integer(), nullable=True),
        sa.Column("prefill_pp", sa.Integer(), nullable=True),
        sa.Column("prefill_dcp_size", sa.Integer(), nullable=True),
        sa.Column("prefill_pcp_size", sa.Integer(), nullable=True),
        sa.Column("prefill_dp_attention", sa.Boolean(), nullable=True),
        sa.Column("prefill_num_workers", sa.Integer(), nullable=True),
        sa.Column("decode_tp", sa.Integer(), nullable=True),
        sa.Column("decode_ep", sa.Integer(), nullable=True),
        sa.Column("decode_pp", sa.Integer(), nullable=True),
        sa.Column("decode_dcp_size", sa.Integer(), nullable=True),
        sa.Column("decode_pcp_size", sa.Integer(), nullable=True),
        sa.Column("decode_dp_attention", sa.Boolean(), nullable=True),
        sa.Column("decode_num_workers", sa.Integer(), nullable=True),
        sa.Column("num_prefill_gpu", sa.Integer(), nullable=True),
        sa.Column("num_decode_gpu", sa.Integer(), nullable=True),
        sa.Column("isl", sa.Integer(), nullable=False),
        sa.Column("osl", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.Column("wide_ep", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_configs")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_configs_key_sha256")),
    )
    op.create_index(
        op.f("ix_configs_framework_hardware"), "configs", ["framework", "hardware"], unique=False
    )
    op.create_index(
        op.f("ix_configs_model_hardware_precision_isl_osl"),
        "configs",
        ["model", "hardware", "precision", "isl", "osl"],
        unique=False,
    )
    op.create_table(
        "source_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_key", sa.String(length=500), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column("engine_version", sa.String(length=200), nullable=True),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("commit", sa.String(length=100), nullable=True),
        sa.Column("repo", sa.String(length=500), nullable=True),
        sa.Column("branch", sa.String(length=200), nullable=True),
        sa.Column("run_url", sa.String(length=2000), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("components", JSON_DOCUMENT, nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_runs")),
        sa.UniqueConstraint("run_key", name=op.f("uq_source_runs_run_key")),
    )
    _compress_payloads_with_lz4()
    op.create_table(
        "submissions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_run_id", BIG_ID, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "accepted",
                "processed",
                "failed",
                name="submission_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_run_id"],
            ["source_runs.id"],
            name=op.f("fk_submissions_source_run_id_source_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("source_run_id", name=op.f("uq_submissions_source_run_id")),
    )
    op.create_index(
        op.f("ix_submissions_status_received_at"),
        "submissions",
        ["status", "received_at"],
        unique=False,
    )
    op.create_table(
        "sweeps",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("source_run_id", BIG_ID, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("components", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["config_id"], ["configs.id"], name=op.f("fk_sweeps_config_id_configs")
        ),
        sa.ForeignKeyConstraint(
            ["source_run_id"],
            ["source_runs.id"],
            name=op.f("fk_sweeps_source_run_id_source_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweeps")),
        sa.UniqueConstraint(
            "config_id", "source_run_id", name=op.f("uq_sweeps_config_id_source_run_id")
        ),
    )
    op.create_index(
        op.f("ix_sweeps_config_id_timestamp"), "sweeps", ["config_id", "timestamp"], unique=False
    )
    op.create_index(op.f("ix_sweeps_source_run_id"), "sweeps", ["source_run_id"], unique=False)
    op.create_table(
        "frontier_values",
        sa.Column("sweep_id", BIG_ID, nullable=False),
        sa.Column(
            "metric",
            sa.Enum(
                "tput_per_gpu",
                "output_tput_per_gpu",
                name="metric",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("interactivity", sa.Float(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["config_id"], ["configs.id"], name=op.f("fk_frontier_values_config_id_configs")
        ),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["sweeps.id"],
            name=op.f("fk_frontier_values_sweep_id_sweeps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "sweep_id", "metric", "interactivity", name=op.f("pk_frontier_values")
        ),
    )
    op.create_index(
        op.f("ix_frontier_values_config_id_metric_interactivity_timestamp"),
        "frontier_values",
        ["config_id", "metric", "interactivity", "timestamp"],
        unique=False,
        postgresql_include=["value", "sweep_id"],
    )
    op.create_table(
        "result_rows",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sweep_id", BIG_ID, nullable=False),
        sa.Column("conc", sa.Integer(), nullable=False),
        sa.Column("median_intvty", sa.Float(), nullable=False),
        sa.Column("tput_per_gpu", sa.Float(), nullable=False),
        sa.Column("output_tput_per_gpu", sa.Float(), nullable=True),
        sa.Column("input_tput_per_gpu", sa.Float(), nullable=True),
        sa.Column("median_ttft_s", sa.Float(), nullable=True),
        sa.Column("median_tpot_s", sa.Float(), nullable=True),
        sa.Column("median_e2el_s", sa.Float(), nullable=True),
        sa.Column("extra", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["sweeps.id"],
            name=op.f("fk_result_rows_sweep_id_sweeps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_rows")),
        sa.UniqueConstraint("sweep_id", "conc", name=op.f("uq_result_rows_sweep_id_conc")),
    )


def _compress_payloads_with_lz4() -> None:
    """Raw payloads are large (~1 KB a row); lz4 writes them five times faster than pglz."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    lz4_available = bind.execute(
        sa.text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ).scalar()
    if lz4_available:
        op.execute("ALTER TABLE source_runs ALTER COLUMN payload SET COMPRESSION lz4")


def downgrade() -> None:
    op.drop_table("result_rows")
    op.drop_index(
        op.f("ix_frontier_values_config_id_metric_interactivity_timestamp"),
        table_name="frontier_values",
        postgresql_include=["value", "sweep_id"],
    )
    op.drop_table("frontier_values")
    op.drop_index(op.f("ix_sweeps_source_run_id"), table_name="sweeps")
    op.drop_index(op.f("ix_sweeps_config_id_timestamp"), table_name="sweeps")
    op.drop_table("sweeps")
    op.drop_index(op.f("ix_submissions_status_received_at"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_table("source_runs")
    op.drop_index(op.f("ix_configs_model_hardware_precision_isl_osl"), table_name="configs")
    op.drop_index(op.f("ix_configs_framework_hardware"), table_name="configs")
    op.drop_table("configs")
    op.drop_table("api_tokens")
