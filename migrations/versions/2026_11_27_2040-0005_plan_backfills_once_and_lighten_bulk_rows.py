"""Plan a backfill's retrospective detection once; lighter keys on the bulk tables.

The worker no longer flags and locks a backfill's tracks per submission: the planner of the
backfill pass does it for every backfill written so far and stamps them. Backfills written
under the previous revision already had their tracks flagged, so they count as planned.

Bulk rows lose what cost more than the row itself: a result row is identified by its sweep
and concurrency (no surrogate id, no second unique index), and a frontier value no longer
has a foreign key to configs, which its sweep already implies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("detection_planned_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE submissions SET detection_planned_at = frontier_written_at"
        " WHERE backfill AND status = 'accepted' AND frontier_written_at IS NOT NULL"
    )
    with op.batch_alter_table("frontier_values") as batch:
        batch.drop_constraint(op.f("fk_frontier_values_config_id_configs"), type_="foreignkey")
    with op.batch_alter_table("result_rows") as batch:
        batch.drop_constraint(op.f("uq_result_rows_sweep_id_conc"), type_="unique")
        batch.drop_constraint(op.f("pk_result_rows"), type_="primary")
        batch.drop_column("id")
        batch.create_primary_key(op.f("pk_result_rows"), ["sweep_id", "conc"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE result_rows ADD COLUMN id BIGSERIAL")  # numbers existing rows
    with op.batch_alter_table("result_rows") as batch:
        if op.get_bind().dialect.name != "postgresql":
            # The rebuilt table's INTEGER PRIMARY KEY numbers the copied rows.
            batch.add_column(sa.Column("id", BIG_ID, nullable=True))
        batch.drop_constraint(op.f("pk_result_rows"), type_="primary")
        batch.create_primary_key(op.f("pk_result_rows"), ["id"])
        batch.create_unique_constraint(op.f("uq_result_rows_sweep_id_conc"), ["sweep_id", "conc"])
    with op.batch_alter_table("frontier_values") as batch:
        batch.create_foreign_key(
            op.f("fk_frontier_values_config_id_configs"), "configs", ["config_id"], ["id"]
        )
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("detection_planned_at")
