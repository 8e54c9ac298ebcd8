"""Indexes the reads need at a fleet's scale (issue 13): each list's keyset order as one index
(change points and alerts newest first, ties by id), and partial indexes for the few rows a read
looks for among many (configs without a latest sweep, sweeps without values or with degraded
points), so that no read scans a table that grows with the history.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns, partial condition or None)
_ADDED = (
    ("ix_configs_without_latest_sweep", "configs", ["id"], "latest_sweep_id IS NULL"),
    (
        "ix_sweeps_without_values",
        "sweeps",
        ["config_id", "timestamp"],
        "no_values_reason IS NOT NULL",
    ),
    ("ix_sweeps_degraded", "sweeps", ["config_id", "timestamp"], "degraded IS NOT NULL"),
    (
        "ix_change_points_state_run_timestamp_id",
        "change_points",
        ["state", "run_timestamp", "id"],
        None,
    ),
    ("ix_alerts_created_at_id", "alerts", ["created_at", "id"], None),
    ("ix_alerts_state_created_at_id", "alerts", ["state", "created_at", "id"], None),
)
# Replaced by the same columns with the id after them.
_REPLACED = (
    ("ix_change_points_state_run_timestamp", "change_points", ["state", "run_timestamp"]),
    ("ix_alerts_state_created_at", "alerts", ["state", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns, condition in _ADDED:
        where = None if condition is None else sa.text(condition)
        op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)
    for name, table, _ in _REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in _REPLACED:
        op.create_index(name, table, columns)
    for name, table, _, _ in reversed(_ADDED):
        op.drop_index(name, table_name=table)
