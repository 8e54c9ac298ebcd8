"""A change point's commit range comes from its location interval, not one night.

Besides its most likely first changed run (`sweep_id`) and the last run before it
(`previous_sweep_id`), a change point keeps the runs that bound its commit range: the last run
before its location interval (`range_start_*`) and the last run of it (`range_end_*`). Existing
change points get the one-night range they had.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("change_points") as batch:
        batch.add_column(sa.Column("range_start_sweep_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("range_end_sweep_id", BIG_ID, nullable=True))
        batch.add_column(
            sa.Column("range_start_timestamp", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("range_end_timestamp", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE change_points SET range_start_sweep_id = previous_sweep_id,"
        " range_end_sweep_id = sweep_id, range_start_timestamp = previous_timestamp,"
        " range_end_timestamp = run_timestamp"
    )
    with op.batch_alter_table("change_points") as batch:
        for column in ("range_start_sweep_id", "range_end_sweep_id"):
            batch.alter_column(column, existing_type=BIG_ID, nullable=False)
            batch.create_foreign_key(
                op.f(f"fk_change_points_{column}_sweeps"), "sweeps", [column], ["id"]
            )
        for column in ("range_start_timestamp", "range_end_timestamp"):
            batch.alter_column(column, existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_index(
            op.f("ix_change_points_engine_range_end_timestamp"),
            ["engine", "range_end_timestamp"],
        )


def downgrade() -> None:
    with op.batch_alter_table("change_points") as batch:
        batch.drop_index(op.f("ix_change_points_engine_range_end_timestamp"))
        for column in ("range_start_sweep_id", "range_end_sweep_id"):
            batch.drop_constraint(op.f(f"fk_change_points_{column}_sweeps"), type_="foreignkey")
        for column in (
            "range_start_sweep_id",
            "range_end_sweep_id",
            "range_start_timestamp",
            "range_end_timestamp",
        ):
            batch.drop_column(column)
