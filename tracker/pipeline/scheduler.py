"""Where stages run: Celery tasks on a broker (production), or in this process (the embedded
default). Both implement `stages.Scheduler`, so `stages.run_stage` decides what follows each
stage once for both (docs/runtime.md)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from tracker.pipeline.stages import Stage, StageArgument, run_stage
from tracker.settings import Settings

log = logging.getLogger(__name__)


class CeleryScheduler:
    """A Celery message per stage; delays are countdowns. When the broker cannot be reached the
    request is dropped with a warning: the periodic stages pick the work up (a submission the
    API stored is still answered 202)."""

    def __init__(self, celery_app: Any) -> None:
        self._celery_app = celery_app

    def schedule(self, stage: Stage, *arguments: StageArgument, delay_s: float = 0.0) -> None:
        try:
            self._celery_app.send_task(
                stage.value,
                args=list(arguments),
                countdown=delay_s or None,
                retry=False,
                ignore_result=True,
            )
        except Exception:
            log.warning(
                "broker unavailable; %s%s waits for its periodic fallback", stage, arguments
            )


def celery_client(broker_url: str) -> Celery:
    """A Celery app that only sends: the API needs the broker, not the worker configuration."""
    client = Celery("tracker-api", broker=broker_url)
    client.conf.broker_connection_timeout = 2
    client.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 5}
    return client


def broker_problem(broker_url: str) -> str | None:
    """Why the broker cannot be reached (a Redis ``PING`` within a second), or None."""
    client = redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        return str(error)[:200] or type(error).__name__
    finally:
        client.close()
    return None


@dataclass(order=True)
class _Delayed:
    due: float
    order: int
    stage: Stage = field(compare=False)
    arguments: tuple[StageArgument, ...] = field(compare=False)


class InProcessScheduler:
    """The embedded default: a stage due now runs at once in the caller's thread; a delayed one
    waits in memory until `run_due` (the periodic thread of `tracker serve`) or `run_until_idle`
    (`tracker demo`) runs it. A delayed stage already waiting with the same arguments is not
    queued twice; the earlier time wins. Memory only: what waits when the process ends is picked
    up by the periodic stages of the next start."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._clock = clock
        self._guard = threading.Lock()
        self._delayed: list[_Delayed] = []
        self._order = itertools.count()

    def schedule(self, stage: Stage, *arguments: StageArgument, delay_s: float = 0.0) -> None:
        if delay_s <= 0:
            run_stage(
                stage,
                *arguments,
                session_factory=self._session_factory,
                settings=self._settings,
                scheduler=self,
            )
            return
        due = self._clock() + delay_s
        with self._guard:
            waiting = next(
                (d for d in self._delayed if d.stage is stage and d.arguments == arguments), None
            )
            if waiting is not None and waiting.due <= due:
                return
            if waiting is not None:
                self._delayed.remove(waiting)
                heapq.heapify(self._delayed)
            heapq.heappush(self._delayed, _Delayed(due, next(self._order), stage, arguments))

    def run_due(self) -> float | None:
        """Run every delayed stage that is due; seconds until the next one, None when none
        waits."""
        while True:
            with self._guard:
                if not self._delayed:
                    return None
                wait_s = self._delayed[0].due - self._clock()
                if wait_s > 0:
                    return wait_s
                due = heapq.heappop(self._delayed)
            self.schedule(due.stage, *due.arguments)

    def run_until_idle(self) -> None:
        """Run delayed stages as they fall due until none waits (`tracker demo`)."""
        while (wait_s := self.run_due()) is not None:
            time.sleep(wait_s)
