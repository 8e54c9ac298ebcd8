"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline
from sqlalchemy.orm import Session, sessionmaker

from tracker.api import dashboard
from tracker.api.errors import install_error_handlers
from tracker.api.metrics import create_metrics, install_request_metrics
from tracker.api.openapi import install_openapi
from tracker.api.routes import alerts, changes, compare, health, series, submissions
from tracker.api.url_checks import UrlChecks
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.pipeline.scheduler import CeleryScheduler, InProcessScheduler, celery_client
from tracker.pipeline.stages import Scheduler
from tracker.settings import Settings

DESCRIPTION = """
Frontier Tracker takes LLM-inference benchmark sweeps from engine CI, reads throughput per GPU
off each sweep's Pareto front at fixed interactivity, and keeps the history queryable.
Writes need a bearer token (`tracker tokens create`); reads are public unless
`TRACKER_PUBLIC_READS=false`.
"""


DOCS_ASSETS_PATH = "/static-docs"
"""Where the Swagger UI and ReDoc files are served from (public, like ``/static``)."""
GZIP_MINIMUM_BYTES = 1024  # pages, the chart library and large JSON lists shrink 3-5x


def default_scheduler(settings: Settings, session_factory: sessionmaker[Session]) -> Scheduler:
    """Celery when a broker is configured, else stages run in-process (the embedded default)."""
    if settings.broker_url:
        return CeleryScheduler(celery_client(settings.broker_url))
    return InProcessScheduler(session_factory=session_factory, settings=settings)


def create_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    scheduler: Scheduler | None = None,
) -> FastAPI:
    """The API for ``settings``; tests may pass their own session factory and scheduler."""
    if session_factory is None:
        session_factory = make_sessionmaker(create_db_engine(settings.resolved_database_url))
    # /docs and /redoc from the Swagger UI and ReDoc files fastapi-offline ships, not a CDN.
    app = FastAPIOffline(
        title="Frontier Tracker",
        version="0.1.0",
        description=DESCRIPTION,
        static_url=DOCS_ASSETS_PATH,
        favicon_url="/static/favicon.svg",
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.scheduler = scheduler or default_scheduler(settings, session_factory)
    app.state.metrics = create_metrics()
    install_error_handlers(app)
    install_request_metrics(app, app.state.metrics)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    app.add_middleware(UrlChecks)
    for module in (submissions, series, compare, changes, alerts, health):
        app.include_router(module.router)
    app.include_router(dashboard.router)
    app.mount("/static", dashboard.static_files(), name="static")
    install_openapi(app, settings)
    return app
