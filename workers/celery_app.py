"""The Celery application: Redis broker, late acknowledgement, the beat schedule."""

from __future__ import annotations

from celery import Celery

from tracker.settings import Settings, get_settings

REQUEUE_STALE_TASK = "tracker.requeue_stale_submissions"
DEFERRED_DETECTION_TASK = "tracker.run_deferred_detection"
DEFERRED_CHUNK_TASK = "tracker.detect_deferred_tracks"
DEFERRED_DETECTION_INTERVAL_S = 30.0
GROUP_ALERTS_TASK = "tracker.group_alerts"
DELIVER_ALERTS_TASK = "tracker.deliver_alerts"
POST_DIGESTS_TASK = "tracker.post_digests"
# Fallbacks for triggers lost with a worker, retries of the outbox, and the digest schedule.
GROUP_ALERTS_INTERVAL_S = 60.0
DELIVER_ALERTS_INTERVAL_S = 30.0
POST_DIGESTS_INTERVAL_S = 900.0


def create_celery_app(settings: Settings) -> Celery:
    """A Celery app for ``settings.broker_url``; tasks are acknowledged only once they finished."""
    if not settings.broker_url:
        raise RuntimeError(
            "TRACKER_BROKER_URL is not set: without a broker, tasks run inside `tracker serve`"
        )
    app = Celery("tracker", broker=settings.broker_url, include=["workers.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # Redis re-delivers an unacknowledged task after this long (a worker died mid-task).
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        beat_schedule={
            "requeue-stale-submissions": {
                "task": REQUEUE_STALE_TASK,
                "schedule": max(settings.stale_submission_seconds / 2, 1.0),
            },
            # Normally the worker that finishes a backfill's frontier values triggers the pass;
            # this covers a trigger lost with a worker.
            "deferred-detection": {
                "task": DEFERRED_DETECTION_TASK,
                "schedule": DEFERRED_DETECTION_INTERVAL_S,
            },
            "group-alerts": {"task": GROUP_ALERTS_TASK, "schedule": GROUP_ALERTS_INTERVAL_S},
            "deliver-alerts": {"task": DELIVER_ALERTS_TASK, "schedule": DELIVER_ALERTS_INTERVAL_S},
            "post-digests": {"task": POST_DIGESTS_TASK, "schedule": POST_DIGESTS_INTERVAL_S},
        },
    )
    return app


app = create_celery_app(get_settings()) if get_settings().broker_url else Celery("tracker")
