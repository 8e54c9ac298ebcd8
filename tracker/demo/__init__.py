"""`tracker demo`: a synthetic nightly history (`simulation`) pushed through the real ingest,
pipeline and alerting code (`run`), and summarised (`summary`)."""
