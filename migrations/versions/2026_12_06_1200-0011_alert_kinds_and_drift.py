"""Alerts gain a kind (`step`, the existing ones, `stale`, `drift`, `rank`) with the details a
stale or drift alert tells of, and the state `resolved`; tracks keep the drift no step explains.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
NULLABLE_JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    sa.dialects.postgresql.JSONB(none_as_null=True), "postgresql"
)
STATES = (
    "untriaged",
    "acknowledged",
    "investigating",
    "expected",
    "invalid",
    "fixed",
    "improvement",
    "retracted",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _alter_states(states: Sequence[str]) -> None:
    for table in ("alerts", "alert_state_changes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_alert_state"), type_="check")
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "state",
                existing_type=sa.String(length=32),
                type_=_enum("alert_state", *states),
                existing_nullable=False,
            )


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                _enum("alert_kind", "step", "stale", "drift", "rank"),
                server_default="step",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("details", JSON_DOCUMENT, server_default="{}", nullable=False))
        batch.create_index(op.f("ix_alerts_kind_state"), ["kind", "state"])
    _alter_states((*STATES, "resolved"))
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(sa.Column("drift", NULLABLE_JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("drift")
    op.execute("DELETE FROM alerts WHERE kind != 'step'")
    op.execute("UPDATE alerts SET state = 'untriaged' WHERE state = 'resolved'")
    op.execute("DELETE FROM alert_state_changes WHERE state = 'resolved'")
    _alter_states(STATES)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index(op.f("ix_alerts_kind_state"))
        batch.drop_constraint(op.f("ck_alerts_alert_kind"), type_="check")
        batch.drop_column("details")
        batch.drop_column("kind")
