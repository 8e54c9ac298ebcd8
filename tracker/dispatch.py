"""Handing stored submissions to the workers: Celery on a broker, or in-process (DESIGN §9)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from tracker.jobs import run_process_submission
from tracker.settings import Settings

log = logging.getLogger(__name__)

PROCESS_SUBMISSION_TASK = "tracker.process_submission"


class Dispatcher(Protocol):
    def submission_stored(self, submission_id: int) -> None:
        """Called after the transaction that stored the submission committed."""


class InProcessDispatcher:
    """The embedded default: process right away, in the caller's thread."""

    def __init__(self, *, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self._session_factory = session_factory
        self._settings = settings

    def submission_stored(self, submission_id: int) -> None:
        run_process_submission(
            session_factory=self._session_factory,
            settings=self._settings,
            submission_id=submission_id,
        )


class CeleryDispatcher:
    """Production: a Celery message per submission; the beat sweep covers a broker outage."""

    def __init__(self, celery_app: Any) -> None:
        self._celery_app = celery_app

    def submission_stored(self, submission_id: int) -> None:
        try:
            self._celery_app.send_task(
                PROCESS_SUBMISSION_TASK, args=[submission_id], retry=False, ignore_result=True
            )
        except Exception:
            # The submission is committed; the beat sweep re-enqueues what stays "accepted".
            log.warning("broker unavailable; submission %s waits for the beat sweep", submission_id)


def celery_client(broker_url: str) -> Celery:
    """A Celery app that only sends: the API needs the broker, not the worker configuration."""
    client = Celery("tracker-api", broker=broker_url)
    client.conf.broker_connection_timeout = 2
    client.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 5}
    return client
