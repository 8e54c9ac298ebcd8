"""Celery app, beat schedule and thin tasks over the services in `tracker.jobs`."""
