"""Running the API under uvicorn, with the embedded default's periodic thread."""

from __future__ import annotations

import gc

import uvicorn
from fastapi import FastAPI

from tracker.api.app import create_app
from tracker.pipeline.periodic import PeriodicThread
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.pipeline.stages import periodic_stages
from tracker.settings import Settings, get_settings


class ServeError(ValueError):
    """Options `tracker serve` cannot honour."""


def frozen_startup(app: FastAPI) -> FastAPI:
    """``app``, with everything alive after start-up moved out of the garbage collector's
    reach: the ~200,000 objects of the imported libraries would otherwise be walked by every
    full collection, a 50–100 ms pause every few requests of a list read."""
    gc.collect()
    gc.freeze()
    return app


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (uvicorn's factory for several workers)."""
    return frozen_startup(create_app(get_settings()))


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse several API processes where they cannot work: without a broker the pipeline's
    stages run in the API process, with a periodic thread for the delayed and periodic ones;
    several processes would each keep their own delayed stages and run the periodic ones side
    by side."""
    if workers > 1 and settings.is_embedded:
        raise ServeError("the embedded SQLite database is served by one process: use --workers 1")
    if workers > 1 and not settings.broker_url:
        raise ServeError(
            "several API processes need a broker for the pipeline (TRACKER_BROKER_URL, with "
            "`tracker worker` and `tracker beat`): use --workers 1, or set a broker"
        )


def serve_api(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted (the schema is up to date: `tracker db upgrade`, or on the
    embedded default the command's own upgrade)."""
    check_workers(settings, workers)
    if workers > 1:
        uvicorn.run(
            "tracker.runtime.server:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
        return
    app = frozen_startup(create_app(settings))
    periodic = None
    if isinstance(app.state.scheduler, InProcessScheduler):
        periodic = PeriodicThread(
            scheduler=app.state.scheduler, intervals=periodic_stages(settings)
        )
        periodic.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if periodic is not None:
            periodic.stop()
