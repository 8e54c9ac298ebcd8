"""Latency and energy at fixed interactivity: p99 TTFT and joules per output token as row
columns, and the three new metrics (`median_ttft`, `p99_ttft`, `joules_per_token`) allowed in
frontier values (candidates' too), tracks and change points.

Rows stored before kept `p99_ttft` and `joules_per_output_token` in `extra`; they move to the
columns (joules only when the row's `power_valid` is not 0, and positive, as ingest reads them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_METRICS = ("tput_per_gpu", "output_tput_per_gpu")
_NEW_METRICS = ("median_ttft", "p99_ttft", "joules_per_token")
_METRIC_TABLES = ("frontier_values", "candidate_frontier_values", "tracks", "change_points")

# (column, key in extra, the condition beyond "the key is a number")
_MOVED = (
    ("p99_ttft_s", "p99_ttft", None),
    ("joules_per_output_token", "joules_per_output_token", "valid power"),
)


def _metric_check(metrics: Sequence[str]) -> str:
    return "metric IN (" + ", ".join(f"'{metric}'" for metric in metrics) + ")"


def _set_metric_checks(metrics: Sequence[str]) -> None:
    for table in _METRIC_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_metric"), type_="check")
            batch.create_check_constraint(op.f(f"ck_{table}_metric"), _metric_check(metrics))


def _move_into_columns(postgres: bool) -> None:
    for column, key, condition in _MOVED:
        if postgres:
            where = f"jsonb_typeof(extra->'{key}') = 'number'"
            value = f"(extra->>'{key}')::float"
            valid = "coalesce(extra->>'power_valid', '1') NOT IN ('0', 'false')"
            removed = f"extra - '{key}'"
        else:
            where = f"json_type(extra, '$.{key}') IN ('integer', 'real')"
            value = f"json_extract(extra, '$.{key}')"
            valid = "coalesce(json_extract(extra, '$.power_valid'), 1) NOT IN (0, 'false')"
            removed = f"json_remove(extra, '$.{key}')"
        if condition is not None:
            where += f" AND {value} > 0 AND {valid}"
        # Built from this module's constants alone.
        set_clause = f"{column} = {value}, extra = {removed}"
        op.execute(f"UPDATE result_rows SET {set_clause} WHERE {where}")  # noqa: S608


def _move_into_extra(postgres: bool) -> None:
    for column, key, _condition in _MOVED:
        if postgres:
            merged = f"extra || jsonb_build_object('{key}', {column})"
        else:
            merged = f"json_set(extra, '$.{key}', {column})"
        op.execute(f"UPDATE result_rows SET extra = {merged} WHERE {column} IS NOT NULL")  # noqa: S608


def upgrade() -> None:
    with op.batch_alter_table("result_rows") as batch:
        batch.add_column(sa.Column("p99_ttft_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("joules_per_output_token", sa.Float(), nullable=True))
    _move_into_columns(op.get_bind().dialect.name == "postgresql")
    _set_metric_checks((*_OLD_METRICS, *_NEW_METRICS))


def downgrade() -> None:
    new = ", ".join(f"'{metric}'" for metric in _NEW_METRICS)
    for table in ("change_points", "tracks", "candidate_frontier_values", "frontier_values"):
        op.execute(f"DELETE FROM {table} WHERE metric IN ({new})")  # noqa: S608
    _set_metric_checks(_OLD_METRICS)
    _move_into_extra(op.get_bind().dialect.name == "postgresql")
    with op.batch_alter_table("result_rows") as batch:
        batch.drop_column("joules_per_output_token")
        batch.drop_column("p99_ttft_s")
