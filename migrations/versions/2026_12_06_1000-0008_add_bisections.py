"""Bisections of alerts' commit ranges, their steps, and runs posted for them.

A bisection searches an alert's range for its culprit commit; each step is one run asked of the
engine's CI at one commit (dispatched once, judged when its result comes back). Source runs say
why they were posted: the tracked history, or a bisection (never tracked).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "bisections",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column("repository", sa.String(length=300), nullable=False),
        sa.Column("workflow", sa.String(length=300), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=False),
        sa.Column(
            "state",
            _enum(
                "bisection_state", "listing", "running", "found", "narrowed", "stopped", "failed"
            ),
            nullable=False,
        ),
        sa.Column("base_commit", sa.String(length=100), nullable=False),
        sa.Column("head_commit", sa.String(length=100), nullable=False),
        sa.Column("commits", JSON_DOCUMENT, nullable=False),
        sa.Column("good_index", sa.Integer(), nullable=False),
        sa.Column("bad_index", sa.Integer(), nullable=False),
        sa.Column("tracks", JSON_DOCUMENT, nullable=False),
        sa.Column("configs", JSON_DOCUMENT, nullable=False),
        sa.Column("max_runs", sa.Integer(), nullable=False),
        sa.Column("runs_used", sa.Integer(), nullable=False),
        sa.Column("culprit_index", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_bisections_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bisections")),
    )
    op.create_index(op.f("ix_bisections_state"), "bisections", ["state"])
    op.create_index(op.f("ix_bisections_alert_id"), "bisections", ["alert_id"])
    op.create_table(
        "bisection_steps",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("bisection_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("commit_index", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=100), nullable=False),
        sa.Column("rerun", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            _enum("bisection_step_state", "pending", "dispatching", "dispatched", "answered"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("submission_id", BIG_ID, nullable=True),
        sa.Column("verdict", _enum("verdict", "before", "after", "inconclusive"), nullable=True),
        sa.Column("evidence", sa.Float(), nullable=True),
        sa.Column("values", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["bisection_id"],
            ["bisections.id"],
            name=op.f("fk_bisection_steps_bisection_id_bisections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_bisection_steps_submission_id_submissions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bisection_steps")),
        sa.UniqueConstraint(
            "bisection_id", "number", name=op.f("uq_bisection_steps_bisection_id_number")
        ),
    )
    op.create_index(
        op.f("ix_bisection_steps_state_next_attempt_at"),
        "bisection_steps",
        ["state", "next_attempt_at"],
    )
    with op.batch_alter_table("source_runs") as batch:
        batch.add_column(
            sa.Column(
                "purpose",
                _enum("submission_purpose", "history", "bisect"),
                server_default="history",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("bisection_id", BIG_ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_source_runs_bisection_id_bisections"),
            "bisections",
            ["bisection_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        batch.drop_constraint(op.f("fk_source_runs_bisection_id_bisections"), type_="foreignkey")
        batch.drop_column("bisection_id")
        batch.drop_constraint(op.f("ck_source_runs_submission_purpose"), type_="check")
        batch.drop_column("purpose")
    op.drop_index(op.f("ix_bisection_steps_state_next_attempt_at"), table_name="bisection_steps")
    op.drop_table("bisection_steps")
    op.drop_index(op.f("ix_bisections_alert_id"), table_name="bisections")
    op.drop_index(op.f("ix_bisections_state"), table_name="bisections")
    op.drop_table("bisections")
