"""Add alerts (state history, fix relations), the per-channel Slack outbox and digest posts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:29:22.451096
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "untriaged",
                "acknowledged",
                "investigating",
                "expected",
                "invalid",
                "fixed",
                "improvement",
                "retracted",
                name="alert_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("range_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("range_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("commit_from", sa.String(length=100), nullable=True),
        sa.Column("commit_to", sa.String(length=100), nullable=True),
        sa.Column("compare_url", sa.String(length=1000), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        op.f("ix_alerts_engine_range_start"), "alerts", ["engine", "range_start"], unique=False
    )
    op.create_index(
        op.f("ix_alerts_state_created_at"), "alerts", ["state", "created_at"], unique=False
    )
    op.create_table(
        "digest_posts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ts", sa.String(length=64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_posts")),
        sa.UniqueConstraint(
            "kind", "period_end", "channel", name=op.f("uq_digest_posts_kind_period_end_channel")
        ),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_ts", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_change_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("late_change_count", sa.Integer(), nullable=False),
        sa.Column("needs_refresh", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_deliveries_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint(
            "alert_id", "channel", name=op.f("uq_alert_deliveries_alert_id_channel")
        ),
    )
    op.create_index(
        op.f("ix_alert_deliveries_status_next_attempt_at"),
        "alert_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "alert_relations",
        sa.Column("fix_alert_id", BIG_ID, nullable=False),
        sa.Column("fixed_alert_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["fix_alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_relations_fix_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fixed_alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_relations_fixed_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fix_alert_id", "fixed_alert_id", name=op.f("pk_alert_relations")),
    )
    op.create_table(
        "alert_state_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "untriaged",
                "acknowledged",
                "investigating",
                "expected",
                "invalid",
                "fixed",
                "improvement",
                "retracted",
                name="alert_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_state_changes_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_state_changes")),
    )
    op.create_index(
        op.f("ix_alert_state_changes_alert_id_at"),
        "alert_state_changes",
        ["alert_id", "at"],
        unique=False,
    )
    with op.batch_alter_table("change_points") as batch:
        batch.add_column(sa.Column("alert_id", BIG_ID, nullable=True))
        batch.create_index(op.f("ix_change_points_alert_id"), ["alert_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_change_points_alert_id_alerts"), "alerts", ["alert_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("change_points") as batch:
        batch.drop_constraint(op.f("fk_change_points_alert_id_alerts"), type_="foreignkey")
        batch.drop_index(op.f("ix_change_points_alert_id"))
        batch.drop_column("alert_id")
    op.drop_index(op.f("ix_alert_state_changes_alert_id_at"), table_name="alert_state_changes")
    op.drop_table("alert_state_changes")
    op.drop_table("alert_relations")
    op.drop_index(op.f("ix_alert_deliveries_status_next_attempt_at"), table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_table("digest_posts")
    op.drop_index(op.f("ix_alerts_state_created_at"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_engine_range_start"), table_name="alerts")
    op.drop_table("alerts")
