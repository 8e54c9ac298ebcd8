"""The dashboard served for real: the app under uvicorn on a loopback port, on an embedded
SQLite database seeded through intake, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from tests.api.dashboard.seeding import seed_history
from tests.conftest import make_token
from tests.support.data import ROOT
from tests.support.services import free_port
from tracker.api.app import create_app
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

CHROMIUM = shutil.which("chromium")
"""Debian's Chromium, driven by Playwright (its own browser download is never used)."""
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHART_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Dashboard:
    base_url: str
    database_url: str
    session_factory: sessionmaker[Session]
    triage_token: str
    triage_token_name: str
    submit_token: str

    def api(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=10)


class ServerThread(threading.Thread):
    """uvicorn in a thread, stopped through its ``should_exit`` flag."""

    def __init__(self, server: uvicorn.Server) -> None:
        super().__init__(name="dashboard-uvicorn", daemon=True)
        self.server = server

    def run(self) -> None:
        self.server.run()

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)


def dashboard_settings(database_url: str, *, public_reads: bool = True) -> Settings:
    return Settings(database_url=database_url, alert_settle_seconds=0, public_reads=public_reads)


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'tracker.db'}"
    migrations.upgrade(database_url)
    engine = create_db_engine(database_url)
    session_factory = make_sessionmaker(engine)
    settings = dashboard_settings(database_url)
    seed_history(session_factory=session_factory, settings=settings)
    triage_name = "dashboard-triage"
    triage_token = make_token(session_factory, TokenScope.TRIAGE, triage_name)
    submit_token = make_token(session_factory, TokenScope.SUBMIT, "dashboard-submit")

    port = free_port()
    app = create_app(settings, session_factory=session_factory)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = ServerThread(server)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("the dashboard server did not start within 10 s")
        time.sleep(0.05)
    yield Dashboard(
        base_url=f"http://127.0.0.1:{port}",
        database_url=database_url,
        session_factory=session_factory,
        triage_token=triage_token,
        triage_token_name=triage_name,
        submit_token=submit_token,
    )
    thread.stop()
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard) -> Iterator[Page]:
    """A fresh tab that may reach only the dashboard: the pages must work offline. Script
    errors and failed requests fail the test."""
    context = browser.new_context(
        base_url=dashboard.base_url, viewport={"width": 1300, "height": 900}
    )
    problems: list[str] = []
    dashboard_host = urlsplit(dashboard.base_url).netloc

    def only_the_dashboard(route: Route) -> None:
        if urlsplit(route.request.url).netloc == dashboard_host:
            route.continue_()
        else:
            problems.append(f"request outside the dashboard: {route.request.url}")
            route.abort()

    context.route("**/*", only_the_dashboard)
    tab = context.new_page()
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 500 else None
        ),
    )
    yield tab
    context.close()
    assert not problems, problems


def wait_for_chart(page: Page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-chart-ready]", timeout=CHART_TIMEOUT_MS)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def chart_option(page: Page, selector: str) -> dict[str, object]:
    """The chart's option model as ECharts holds it (what it actually draws)."""
    option: dict[str, object] = page.evaluate(
        "(selector) => echarts.getInstanceByDom(document.querySelector(selector)).getOption()",
        selector,
    )
    return option
