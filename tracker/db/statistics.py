"""Planner statistics kept current by the tracker itself (docs/runtime.md).

Bulk loads grow `result_rows`, `sweeps` and `frontier_values` by millions of rows in minutes.
Without fresh statistics Postgres plans the worker's reads by sweep for a table it believes
empty or tiny, and a read of a few hundred rows becomes a scan of the whole table. Autovacuum
would analyse the tables, but it may be off (as on the CI machine) or lag a load; so the worker
applies autovacuum's own rule before each piece of work: a table whose rows changed by more than
`ANALYZE_THRESHOLD_ROWS` + `ANALYZE_SCALE_FACTOR` × its size since it was last analysed is
analysed now.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tracker.db.dialect import is_postgres
from tracker.db.engine import transaction
from tracker.db.locks import try_lock_planner_statistics

ANALYZE_THRESHOLD_ROWS = 50
ANALYZE_SCALE_FACTOR = 0.1
"""Autovacuum's defaults (`autovacuum_analyze_threshold`, `autovacuum_analyze_scale_factor`):
a table is analysed each time it grows by about a tenth, some 130 times on the way to ten
million rows, each reading a fixed sample of the table (30,000 rows by default)."""

_TABLES_DUE = text(
    """
    SELECT stats.relname
    FROM pg_stat_user_tables AS stats JOIN pg_class AS class ON class.oid = stats.relid
    WHERE stats.schemaname = current_schema()
      AND stats.n_mod_since_analyze
          > :threshold + :scale_factor * greatest(class.reltuples, 0)
    ORDER BY stats.relname
    """
)


def tables_due_for_analysis(session: Session) -> list[str]:
    rows = session.execute(
        _TABLES_DUE, {"threshold": ANALYZE_THRESHOLD_ROWS, "scale_factor": ANALYZE_SCALE_FACTOR}
    )
    return list(rows.scalars())


def refresh_planner_statistics(session_factory: sessionmaker[Session]) -> list[str]:
    """Analyse the tables due (Postgres only); the names analysed. Nothing when another process
    is already at it: its refresh serves everyone."""
    with transaction(session_factory) as session:
        if not is_postgres(session) or not try_lock_planner_statistics(session):
            return []
        due = tables_due_for_analysis(session)
        for table in due:
            quoted = session.connection().dialect.identifier_preparer.quote(table)
            session.execute(text(f"ANALYZE {quoted}"))
        return due
