"""The database: engines and sessions, column types, dialect switches, bulk COPY, per-track
locks and the migrations runner. Everything that differs between Postgres and SQLite is here."""
