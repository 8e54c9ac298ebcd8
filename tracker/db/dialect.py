"""The few statements Postgres and SQLite spell differently, each written once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def is_postgres(bind: Session | Connection) -> bool:
    """Whether the session's (or connection's) database is Postgres; else the embedded SQLite."""
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def insert_ignoring_conflicts(session: Session, table: Any, keys: Sequence[str]) -> Any:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` in the session's dialect."""
    insert = postgresql_insert if is_postgres(session) else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(keys))
