"""Who sees the pages: public like the API's reads, or behind a token (header or login cookie);
static files ship with the package, the chart library with its licence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.dashboard.conftest import Dashboard, dashboard_settings
from tracker.api.app import create_app
from tracker.db import migrations

PAGES = ("/", "/compare", "/alerts", "/series/1", "/sweeps/1")


@pytest.fixture
def private_client(dashboard: Dashboard) -> Iterator[TestClient]:
    settings = dashboard_settings(dashboard.database_url, public_reads=False)
    app = create_app(settings, session_factory=dashboard.session_factory)
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
def test_private_pages_send_strangers_to_the_login_form(
    path: str, private_client: TestClient
) -> None:
    answer = private_client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_login_cookie_or_bearer_header_opens_private_pages(
    private_client: TestClient, dashboard: Dashboard
) -> None:
    header = {"Authorization": f"Bearer {dashboard.submit_token}"}
    assert private_client.get("/", headers=header).status_code == 200

    refused = private_client.post("/login", data={"token": "ft_unknown", "next": "/alerts"})
    assert refused.status_code == 401
    assert "not known" in refused.text

    login = private_client.post("/login", data={"token": dashboard.submit_token, "next": "/alerts"})
    assert login.status_code == 303
    assert login.headers["location"] == "/alerts"
    assert "httponly" in login.headers["set-cookie"].lower()
    assert private_client.get("/alerts").status_code == 200

    elsewhere = private_client.post(
        "/login", data={"token": dashboard.submit_token, "next": "//evil.example/"}
    )
    assert elsewhere.headers["location"] == "/"


def test_errors_render_as_pages(private_client: TestClient, dashboard: Dashboard) -> None:
    header = {"Authorization": f"Bearer {dashboard.submit_token}"}
    missing = private_client.get("/series/999999", headers=header)
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    bad = private_client.get("/?tp=eight", headers=header)
    assert bad.status_code == 422
    assert "tp must be an integer" in bad.text
    state = private_client.get("/alerts?state=sideways", headers=header)
    assert state.status_code == 422
    assert "state must be one of untriaged, acknowledged," in state.text
    assert "or blank for any" in state.text and "one of ," not in state.text


@pytest.mark.parametrize("path", ["/", "/compare"])
def test_an_empty_tracker_says_how_to_fill_it(path: str, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    migrations.upgrade(database_url)
    with TestClient(create_app(dashboard_settings(database_url))) as client:
        page = client.get(path)
    assert page.status_code == 200
    assert "No benchmark results yet" in page.text
    assert "tracker demo" in page.text and "tracker submit" in page.text
    assert "TRACKER_URL=http://testserver" in page.text
    assert 'class="chart"' not in page.text


def test_chart_library_ships_with_its_licence(private_client: TestClient) -> None:
    library = private_client.get("/static/vendor/echarts/echarts.common.min.js")
    assert library.status_code == 200
    assert len(library.content) > 500_000
    licence = private_client.get("/static/vendor/echarts/LICENSE")
    assert "Apache License" in licence.text
    assert "6.1.0" in private_client.get("/static/vendor/echarts/README.md").text


@pytest.mark.parametrize(
    "path", ["/docs", "/redoc", "/openapi.json", "/static-docs/swagger-ui-bundle.js"]
)
def test_api_documents_are_public_even_when_reads_are_not(
    path: str, private_client: TestClient
) -> None:
    assert private_client.get(path).status_code == 200
