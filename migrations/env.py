"""Alembic environment: one migration run at a time on Postgres, batch operations on SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from tracker.db.engine import create_db_engine, is_sqlite
from tracker.db.migrations import ForeignKeyViolation
from tracker.models import Base

# Any constant works; it only has to be the same for every process that migrates.
MIGRATION_LOCK_KEY = 0x7472_6163_6B65_72

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection, *, sqlite: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        # Our SQLite engines begin real transactions (tracker.db), so DDL rolls back there too.
        transactional_ddl=True,
    )


def _check_foreign_keys(connection: Connection) -> None:
    violations = connection.execute(text("PRAGMA foreign_key_check")).all()
    if violations:
        raise ForeignKeyViolation(f"foreign keys broken by the migration: {violations[:5]}")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "tracker.db.migrations sets sqlalchemy.url"
    sqlite = is_sqlite(url)
    engine = create_db_engine(url)
    with engine.connect() as connection:
        if sqlite:
            # Batch operations rebuild tables that others reference; SQLite would refuse while it
            # enforces foreign keys. The pragma only takes outside a transaction, so it goes to the
            # driver before SQLAlchemy begins one; integrity is checked once the migrations ran.
            driver_connection = connection.connection.driver_connection
            assert driver_connection is not None
            driver_connection.execute("PRAGMA foreign_keys=OFF")
        else:
            connection.execute(text("SET lock_timeout = '10s'"))
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            _configure(connection, sqlite=sqlite)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if not sqlite:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
