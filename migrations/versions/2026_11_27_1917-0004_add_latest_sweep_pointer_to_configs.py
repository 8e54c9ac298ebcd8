"""Add each config's latest sweep pointer, kept by the worker, and fill it from the history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:17:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("configs") as batch:
        batch.add_column(sa.Column("latest_sweep_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("latest_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_configs_latest_sweep_id_sweeps"),
            "sweeps",
            ["latest_sweep_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        """
        UPDATE configs SET latest_sweep_id = (
            SELECT sweeps.id FROM sweeps
            JOIN submissions ON submissions.source_run_id = sweeps.source_run_id
            WHERE sweeps.config_id = configs.id
              AND (submissions.frontier_written_at IS NOT NULL
                   OR submissions.status = 'processed')
            ORDER BY sweeps.timestamp DESC, sweeps.id DESC
            LIMIT 1
        )
        """
    )
    op.execute(
        "UPDATE configs SET latest_at ="
        " (SELECT sweeps.timestamp FROM sweeps WHERE sweeps.id = configs.latest_sweep_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("configs") as batch:
        batch.drop_constraint(op.f("fk_configs_latest_sweep_id_sweeps"), type_="foreignkey")
        batch.drop_column("latest_at")
        batch.drop_column("latest_sweep_id")
