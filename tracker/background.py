"""Periodic jobs of the embedded default: a background thread of `tracker serve` (DESIGN §9).

In production Celery beat schedules the same jobs.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from alerts.jobs import post_due_digests, run_alert_deliveries, run_alert_grouping
from tracker.dispatch import Dispatcher
from tracker.jobs import DeferredPass, requeue_stale_submissions, run_deferred_detection
from tracker.settings import Settings

log = logging.getLogger(__name__)


def run_periodic_jobs(
    *, session_factory: sessionmaker[Session], settings: Settings, dispatcher: Dispatcher
) -> DeferredPass:
    """One pass of every periodic job."""
    requeue_stale_submissions(
        session_factory=session_factory,
        settings=settings,
        enqueue=dispatcher.submission_stored,
    )
    deferred = run_deferred_detection(session_factory=session_factory, settings=settings)
    run_alert_grouping(session_factory=session_factory, settings=settings)
    run_alert_deliveries(session_factory=session_factory, settings=settings)
    post_due_digests(session_factory=session_factory, settings=settings)
    return deferred


def run_periodic_jobs_to_completion(
    *, session_factory: sessionmaker[Session], settings: Settings, dispatcher: Dispatcher
) -> None:
    """Periodic jobs until none has work left to wait for (`tracker demo`)."""
    while True:
        deferred = run_periodic_jobs(
            session_factory=session_factory, settings=settings, dispatcher=dispatcher
        )
        if deferred.retry_in_s is None:
            return
        time.sleep(deferred.retry_in_s)


class PeriodicThread(threading.Thread):
    """Runs the periodic jobs every ``interval_s`` until stopped."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        settings: Settings,
        dispatcher: Dispatcher,
        interval_s: float,
    ) -> None:
        super().__init__(name="tracker-periodic", daemon=True)
        self._session_factory = session_factory
        self._settings = settings
        self._dispatcher = dispatcher
        self._interval_s = interval_s
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            try:
                run_periodic_jobs(
                    session_factory=self._session_factory,
                    settings=self._settings,
                    dispatcher=self._dispatcher,
                )
            except Exception:
                log.exception("periodic jobs failed; retrying at the next interval")

    def stop(self) -> None:
        self._stopped.set()
