"""Raw payloads may be deleted after TRACKER_PAYLOAD_RETENTION_DAYS: the column takes NULL, and a
partial index finds the runs whose payload is still kept.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = sa.text("payload IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("source_runs") as batch:
        batch.alter_column("payload", existing_type=sa.Text(), nullable=True)
    op.create_index(
        "ix_source_runs_payload_kept",
        "source_runs",
        ["id"],
        postgresql_where=KEPT,
        sqlite_where=KEPT,
    )


def downgrade() -> None:
    op.drop_index("ix_source_runs_payload_kept", table_name="source_runs")
    op.execute("UPDATE source_runs SET payload = '' WHERE payload IS NULL")
    with op.batch_alter_table("source_runs") as batch:
        batch.alter_column("payload", existing_type=sa.Text(), nullable=False)
