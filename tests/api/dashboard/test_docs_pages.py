"""The API's interactive documents, /docs (Swagger UI) and /redoc, in headless Chromium that may
reach only the tracker: their scripts and styles are served by the tracker itself."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route, expect

from tests.api.dashboard.conftest import Dashboard, screenshot

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""ReDoc's "API docs by Redocly" footer image: always fetched from Redocly, hidden when it
cannot be (ReDoc has no option to leave it out)."""


def test_swagger_ui_renders_the_openapi_document_offline(page: Page) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Frontier Tracker")
    submit = page.locator(".opblock-post .opblock-summary-path[data-path='/api/v1/submissions']")
    expect(submit).to_be_visible()
    screenshot(page, "docs")


def test_redoc_renders_the_openapi_document_offline(browser: Browser, dashboard: Dashboard) -> None:
    context = browser.new_context(base_url=dashboard.base_url)
    outside: list[str] = []

    def only_the_tracker(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(dashboard.base_url).netloc:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_tracker)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/redoc")
    expect(page.locator("h1")).to_contain_text("Frontier Tracker")
    expect(page.locator("[data-section-id^='tag/submissions']").first).to_be_attached()
    screenshot(page, "redoc")
    context.close()
    assert errors == []
    assert set(outside) <= {REDOCLY_LOGO}
