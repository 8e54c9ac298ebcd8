"""Celery app, beat schedule and thin tasks over `tracker.pipeline.stages`."""
