"""`tracker serve`'s app: start-up objects are kept out of the garbage collector's full
collections, which otherwise pause list reads every few requests."""

from __future__ import annotations

import gc

import pytest

from tracker.runtime.server import app_from_environment
from tracker.settings import get_settings


def test_the_served_app_is_built_with_its_start_up_objects_frozen(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", pg_url)
    gc.unfreeze()
    get_settings.cache_clear()
    try:
        app = app_from_environment()
        assert app.title == "Frontier Tracker"
        # Every object alive after start-up (the app, its routes, the libraries) is frozen.
        assert gc.get_freeze_count() > 10_000
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        get_settings.cache_clear()
