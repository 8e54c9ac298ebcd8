"""Add tracks (detector state, outliers, suspected changes) and change points; backfill flags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:10:12.824353
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
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
        sa.Column("detector_state", JSON_DOCUMENT, nullable=True),
        sa.Column("outlier_sweep_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("suspected", JSON_DOCUMENT, nullable=False),
        sa.Column("needs_full_analysis", sa.Boolean(), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["config_id"], ["configs.id"], name=op.f("fk_tracks_config_id_configs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracks")),
        sa.UniqueConstraint(
            "config_id",
            "metric",
            "interactivity",
            name=op.f("uq_tracks_config_id_metric_interactivity"),
        ),
    )
    op.create_index(
        op.f("ix_tracks_needs_full_analysis"), "tracks", ["needs_full_analysis"], unique=False
    )
    op.create_table(
        "change_points",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("track_id", BIG_ID, nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
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
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "regression",
                "gain",
                name="change_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "confirmed",
                "retracted",
                name="change_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sweep_id", BIG_ID, nullable=False),
        sa.Column("previous_sweep_id", BIG_ID, nullable=False),
        sa.Column("run_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.Float(), nullable=False),
        sa.Column("after", sa.Float(), nullable=False),
        sa.Column("relative_change", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("commit_from", sa.String(length=100), nullable=True),
        sa.Column("commit_to", sa.String(length=100), nullable=True),
        sa.Column("compare_url", sa.String(length=1000), nullable=True),
        sa.Column("components_changed", JSON_DOCUMENT, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["config_id"], ["configs.id"], name=op.f("fk_change_points_config_id_configs")
        ),
        sa.ForeignKeyConstraint(
            ["previous_sweep_id"],
            ["sweeps.id"],
            name=op.f("fk_change_points_previous_sweep_id_sweeps"),
        ),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.id"], name=op.f("fk_change_points_sweep_id_sweeps")
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_change_points_track_id_tracks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_points")),
    )
    op.create_index(
        op.f("ix_change_points_config_id_run_timestamp"),
        "change_points",
        ["config_id", "run_timestamp"],
        unique=False,
    )
    op.create_index(
        op.f("ix_change_points_engine_state"), "change_points", ["engine", "state"], unique=False
    )
    op.create_index(
        op.f("ix_change_points_state_run_timestamp"),
        "change_points",
        ["state", "run_timestamp"],
        unique=False,
    )
    op.create_index(
        op.f("ix_change_points_track_id_state"),
        "change_points",
        ["track_id", "state"],
        unique=False,
    )
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("backfill", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch.add_column(
            sa.Column("frontier_written_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("frontier_written_at")
        batch.drop_column("backfill")
    op.drop_index(op.f("ix_change_points_track_id_state"), table_name="change_points")
    op.drop_index(op.f("ix_change_points_state_run_timestamp"), table_name="change_points")
    op.drop_index(op.f("ix_change_points_engine_state"), table_name="change_points")
    op.drop_index(op.f("ix_change_points_config_id_run_timestamp"), table_name="change_points")
    op.drop_table("change_points")
    op.drop_index(op.f("ix_tracks_needs_full_analysis"), table_name="tracks")
    op.drop_table("tracks")
