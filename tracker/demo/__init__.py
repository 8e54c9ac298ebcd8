"""`tracker demo`: a synthetic nightly history (`simulation`) pushed through the real ingest,
pipeline and alerting code, and summarised (`run`)."""
