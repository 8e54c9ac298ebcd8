"""The database: engines and sessions, column types, dialect switches, bulk COPY, per-track
locks and the migrations runner. The statements both backends share but spell differently are in
`dialect`; a few Postgres-only fast paths stay beside the query they speed up (tracks' histories,
latest-sweep pointers) behind `dialect.is_postgres`."""
