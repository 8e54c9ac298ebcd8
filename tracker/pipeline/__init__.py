"""The pipeline after a submission is stored: `accept` (the way in), `stages` (what follows
what), `jobs` (each stage as a transaction boundary), `scheduler` (Celery or in-process) and
`periodic` (the embedded default's clock)."""
