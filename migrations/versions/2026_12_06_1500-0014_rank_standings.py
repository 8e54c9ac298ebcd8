"""Rank standings: each rank slice's daily bests kept between rank checks, and how far the rank
check has read, so that a check reads only the frontier values that came since the last
(docs/alerts.md#rank-flips). Empty standings fill on the first check.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rank_standings",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("slice", JSON_DOCUMENT, nullable=False),
        sa.Column("ranking", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("days", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rank_standings")),
    )
    checks = op.create_table(
        "rank_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_through", sa.BigInteger(), nullable=False),
        sa.Column("previous_read_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rank_checks")),
    )
    op.bulk_insert(checks, [{"id": 1, "read_through": 0, "previous_read_through": 0}])


def downgrade() -> None:
    op.drop_table("rank_checks")
    op.drop_table("rank_standings")
