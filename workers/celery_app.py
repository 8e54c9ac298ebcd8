"""The Celery application: Redis broker, late acknowledgement, the beat schedule."""

from __future__ import annotations

from celery import Celery

from tracker.pipeline.stages import periodic_stages
from tracker.settings import Settings, get_settings


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
            stage.value: {"task": stage.value, "schedule": interval_s}
            for stage, interval_s in periodic_stages(settings).items()
        },
    )
    return app


app = create_celery_app(get_settings()) if get_settings().broker_url else Celery("tracker")
