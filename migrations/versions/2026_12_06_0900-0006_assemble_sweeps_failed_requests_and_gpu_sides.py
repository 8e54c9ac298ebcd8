"""Real CI output: sweeps assembled from per-job posts, failed requests, GPU sides, the answer.

- `sweep_assemblies`: one CI run posted per job under a sweep key; sweeps and submissions point
  at it, source runs keep the key they were sent with.
- Result rows keep their request counts (`completed`, `requested`, `failed`); a sweep records the
  points left out of its front for failed requests (`degraded`) and why it has no frontier
  value (`no_values_reason`).
- Configs get `prefill_hardware` and `decode_hardware` (null when homogeneous: existing key
  digests are unchanged), and `wide_ep` is read from the side that holds the experts: a
  multinode aggregated config (no decode experts) is wide on its prefill side.
- Submissions keep what their answer says beside the counts: rows skipped, per-request lists
  dropped, warnings, rows repeated from earlier posts of their sweep key.
- A config's latest-sweep pointer now points at its newest sweep with a frontier value.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NO_VALUES_REASON = sa.Enum(
    "one_point",
    "degraded",
    "below_targets",
    "above_targets",
    "between_targets",
    name="no_values_reason",
    native_enum=False,
    create_constraint=True,
    length=32,
)

# The side that holds the experts: decode when it has any, else prefill, else the single node.
SET_WIDE_EP_BY_SIDE = """
    UPDATE configs SET wide_ep = CASE
        WHEN COALESCE(decode_ep, 0) > 0
            THEN decode_ep > 8 OR (COALESCE(decode_dp_attention, false) AND decode_ep > 1)
        WHEN COALESCE(prefill_ep, 0) > 0
            THEN prefill_ep > 8 OR (COALESCE(prefill_dp_attention, false) AND prefill_ep > 1)
        WHEN ep IS NOT NULL
            THEN ep > 8 OR (COALESCE(dp_attention, false) AND ep > 1)
        ELSE false
    END
"""
SET_WIDE_EP_BEFORE_0006 = """
    UPDATE configs SET wide_ep = CASE
        WHEN decode_ep IS NOT NULL
            THEN decode_ep > 8 OR (COALESCE(decode_dp_attention, false) AND decode_ep > 1)
        WHEN ep IS NOT NULL
            THEN ep > 8 OR (COALESCE(dp_attention, false) AND ep > 1)
        ELSE false
    END
"""
# A pointer at a sweep without frontier values moves to the newest sweep with one.
POINT_AT_NEWEST_SWEEP_WITH_VALUES = """
    UPDATE configs SET
        latest_sweep_id = (
            SELECT sweeps.id FROM sweeps
            WHERE sweeps.config_id = configs.id
              AND EXISTS (SELECT 1 FROM frontier_values WHERE frontier_values.sweep_id = sweeps.id)
            ORDER BY sweeps.timestamp DESC, sweeps.id DESC
            LIMIT 1
        ),
        latest_at = (
            SELECT sweeps.timestamp FROM sweeps
            WHERE sweeps.config_id = configs.id
              AND EXISTS (SELECT 1 FROM frontier_values WHERE frontier_values.sweep_id = sweeps.id)
            ORDER BY sweeps.timestamp DESC, sweeps.id DESC
            LIMIT 1
        )
    WHERE latest_sweep_id IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM frontier_values WHERE frontier_values.sweep_id = configs.latest_sweep_id
      )
"""


def upgrade() -> None:
    op.create_table(
        "sweep_assemblies",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sweep_key", sa.String(length=500), nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=False),
        sa.Column("commit", sa.String(length=100), nullable=True),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_post_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assembled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweep_assemblies")),
        sa.UniqueConstraint("sweep_key", name=op.f("uq_sweep_assemblies_sweep_key")),
    )
    op.create_index(
        op.f("ix_sweep_assemblies_assembled_at_last_post_at"),
        "sweep_assemblies",
        ["assembled_at", "last_post_at"],
        unique=False,
    )
    with op.batch_alter_table("source_runs") as batch:
        batch.add_column(sa.Column("sweep_key", sa.String(length=500), nullable=True))
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("assembly_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("skipped", JSON_DOCUMENT, nullable=True))
        batch.add_column(sa.Column("dropped", JSON_DOCUMENT, nullable=True))
        batch.add_column(sa.Column("warnings", JSON_DOCUMENT, nullable=True))
        batch.add_column(
            sa.Column("repeated", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.create_foreign_key(
            op.f("fk_submissions_assembly_id_sweep_assemblies"),
            "sweep_assemblies",
            ["assembly_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_submissions_assembly_id"), ["assembly_id"], unique=False)
    with op.batch_alter_table("configs") as batch:
        batch.add_column(sa.Column("prefill_hardware", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("decode_hardware", sa.String(length=100), nullable=True))
    op.execute(SET_WIDE_EP_BY_SIDE)
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("assembly_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("degraded", JSON_DOCUMENT, nullable=True))
        batch.add_column(sa.Column("no_values_reason", NO_VALUES_REASON, nullable=True))
        batch.create_foreign_key(
            op.f("fk_sweeps_assembly_id_sweep_assemblies"),
            "sweep_assemblies",
            ["assembly_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            op.f("uq_sweeps_assembly_id_config_id"), ["assembly_id", "config_id"]
        )
    with op.batch_alter_table("result_rows") as batch:
        batch.add_column(sa.Column("completed", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("requested", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("failed", sa.Integer(), nullable=True))
    op.execute(POINT_AT_NEWEST_SWEEP_WITH_VALUES)


def downgrade() -> None:
    with op.batch_alter_table("result_rows") as batch:
        batch.drop_column("failed")
        batch.drop_column("requested")
        batch.drop_column("completed")
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_constraint(op.f("uq_sweeps_assembly_id_config_id"), type_="unique")
        batch.drop_constraint(op.f("fk_sweeps_assembly_id_sweep_assemblies"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_sweeps_no_values_reason"), type_="check")
        batch.drop_column("no_values_reason")
        batch.drop_column("degraded")
        batch.drop_column("assembly_id")
    op.execute(SET_WIDE_EP_BEFORE_0006)
    with op.batch_alter_table("configs") as batch:
        batch.drop_column("decode_hardware")
        batch.drop_column("prefill_hardware")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index(op.f("ix_submissions_assembly_id"))
        batch.drop_constraint(
            op.f("fk_submissions_assembly_id_sweep_assemblies"), type_="foreignkey"
        )
        batch.drop_column("repeated")
        batch.drop_column("warnings")
        batch.drop_column("dropped")
        batch.drop_column("skipped")
        batch.drop_column("assembly_id")
    with op.batch_alter_table("source_runs") as batch:
        batch.drop_column("sweep_key")
    op.drop_index(
        op.f("ix_sweep_assemblies_assembled_at_last_post_at"), table_name="sweep_assemblies"
    )
    op.drop_table("sweep_assemblies")
