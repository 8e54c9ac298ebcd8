"""Candidate runs: a pull request's (or another branch's) runs, judged against the tracked branch.

Source runs say their pull request and base commit; a candidate's frontier values are kept in
their own table, apart from the tracks' history; each pull request's report on GitHub (one
comment, the commit status) goes through an outbox row.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
METRICS = ("tput_per_gpu", "output_tput_per_gpu")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _purpose_check(batch: object, *values: str) -> None:
    batch.drop_constraint(op.f("ck_source_runs_submission_purpose"), type_="check")  # type: ignore[attr-defined]
    batch.create_check_constraint(  # type: ignore[attr-defined]
        "submission_purpose",
        sa.column("purpose").in_(values),
    )


def upgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        batch.add_column(sa.Column("pull_request", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("base_commit", sa.String(length=100), nullable=True))
        batch.create_index(
            op.f("ix_source_runs_engine_pull_request_commit"),
            ["engine", "pull_request", "commit"],
        )
        _purpose_check(batch, "history", "bisect", "candidate")
    op.create_table(
        "candidate_frontier_values",
        sa.Column("sweep_id", BIG_ID, nullable=False),
        sa.Column("metric", _enum("metric", *METRICS), nullable=False),
        sa.Column("interactivity", sa.Float(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["sweeps.id"],
            name=op.f("fk_candidate_frontier_values_sweep_id_sweeps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "sweep_id", "metric", "interactivity", name=op.f("pk_candidate_frontier_values")
        ),
    )
    op.create_table(
        "pull_request_reports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("repository", sa.String(length=300), nullable=False),
        sa.Column("pull_request", sa.Integer(), nullable=False),
        sa.Column("wanted_submission_id", BIG_ID, nullable=False),
        sa.Column("reported_submission_id", BIG_ID, nullable=True),
        sa.Column(
            "status",
            _enum("delivery_status", "pending", "sending", "sent", "failed"),
            nullable=False,
        ),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["wanted_submission_id"],
            ["submissions.id"],
            name=op.f("fk_pull_request_reports_wanted_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_request_reports")),
        sa.UniqueConstraint(
            "repository",
            "pull_request",
            name=op.f("uq_pull_request_reports_repository_pull_request"),
        ),
    )
    op.create_index(
        op.f("ix_pull_request_reports_status_next_attempt_at"),
        "pull_request_reports",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_pull_request_reports_status_next_attempt_at"), table_name="pull_request_reports"
    )
    op.drop_table("pull_request_reports")
    op.drop_table("candidate_frontier_values")
    op.execute("DELETE FROM source_runs WHERE purpose = 'candidate'")
    with op.batch_alter_table("source_runs") as batch:
        _purpose_check(batch, "history", "bisect")
        batch.drop_index(op.f("ix_source_runs_engine_pull_request_commit"))
        batch.drop_column("base_commit")
        batch.drop_column("pull_request")
