"""The dashboard: server-rendered pages on the domain reads the API uses.

Each page module calls the same read functions as the API routes (``tracker.reads`` and
``alerts.reads``) and embeds what
its charts draw as JSON in the page, so a chart needs no second request; the compare slider
and triage call ``/api/v1`` from the browser. Templates are in ``tracker/api/templates``,
scripts, styles and the vendored chart library in ``tracker/api/static``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from tracker.api.dashboard import access, alerts, compare, explorer, submission, sweep, trend
from tracker.api.dashboard.rendering import STATIC_DIR

router = APIRouter()
for module in (access, explorer, trend, sweep, compare, alerts, submission):
    router.include_router(module.router)


def static_files() -> StaticFiles:
    """The dashboard's scripts, styles and vendored chart library, mounted at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)
