"""The periodic stages of the embedded default: a background thread of `tracker serve`
(docs/runtime.md). In production Celery beat schedules the same `stages.periodic_stages`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from tracker.pipeline.scheduler import InProcessScheduler
from tracker.pipeline.stages import Stage

log = logging.getLogger(__name__)

TICK_S = 1.0
"""How often the thread looks for due work: delayed stages run within a tick of their time."""


class PeriodicThread(threading.Thread):
    """Runs each periodic stage on its interval, and the scheduler's delayed stages when due."""

    def __init__(
        self,
        *,
        scheduler: InProcessScheduler,
        intervals: dict[Stage, float],
        tick_s: float = TICK_S,
    ) -> None:
        super().__init__(name="tracker-periodic", daemon=True)
        self._scheduler = scheduler
        self._intervals = intervals
        self._tick_s = tick_s
        self._stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        last_run = dict.fromkeys(self._intervals, started)
        while not self._stopped.wait(self._tick_s):
            now = time.monotonic()
            for stage, interval_s in self._intervals.items():
                if now - last_run[stage] >= interval_s:
                    last_run[stage] = now
                    self._run(stage)
            try:
                self._scheduler.run_due()
            except Exception:
                log.exception("a delayed stage failed; it is not retried before its next trigger")

    def _run(self, stage: Stage) -> None:
        try:
            self._scheduler.schedule(stage)
        except Exception:
            log.exception("periodic stage %s failed; retrying at its next interval", stage)

    def stop(self) -> None:
        self._stopped.set()


def run_to_completion(scheduler: InProcessScheduler, stages: Iterable[Stage]) -> None:
    """Each of ``stages`` once, then every delayed stage they lead to, as it falls due, until
    none waits (`tracker demo`: the backfill pass, grouping, delivery and digests of a history
    posted at once)."""
    for stage in stages:
        scheduler.schedule(stage)
    scheduler.run_until_idle()
