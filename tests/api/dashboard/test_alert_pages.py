"""The alert list and an alert's page: change points, trend charts, triage from the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.api.dashboard.conftest import Dashboard, chart_option, screenshot, wait_for_chart


def first_alert(dashboard: Dashboard) -> dict[str, object]:
    items = dashboard.api("/api/v1/alerts").json()["items"]
    assert items, "the seeded step should have raised an alert"
    alert: dict[str, object] = items[-1]
    return alert


def test_alert_list_shows_kind_state_slice_and_series_count(
    page: Page, dashboard: Dashboard
) -> None:
    alert = first_alert(dashboard)
    page.goto("/alerts")
    row = page.locator(f'#alert-table tr[data-alert-id="{alert["id"]}"]')
    expect(row).to_contain_text(str(alert["summary"]))
    expect(row.locator("td").nth(1)).to_have_text("step")
    expect(row.locator("td").nth(4)).to_have_text(str(alert["state"]))
    expect(row.locator("td").nth(6)).to_have_text("1")  # one series stepped
    screenshot(page, "alerts")


def test_alert_list_filters_by_kind(page: Page, dashboard: Dashboard) -> None:
    alert = first_alert(dashboard)
    page.goto("/alerts")
    page.select_option("#alert-filter-form select[name=kind]", "stale")  # submits on change
    expect(page).to_have_url(re.compile(r"/alerts\?kind=stale$"))
    expect(page.locator("#alert-table tbody")).to_contain_text("No alerts match.")
    page.goto("/alerts?kind=step")
    expect(page.locator(f'#alert-table tr[data-alert-id="{alert["id"]}"]')).to_have_count(1)


def test_triage_from_the_alert_page(page: Page, dashboard: Dashboard) -> None:
    alert = first_alert(dashboard)
    page.goto(f"/alerts/{alert['id']}")
    wait_for_chart(page, "#alert-trend-0")
    option = chart_option(page, "#alert-trend-0")
    assert len(option["series"][0]["markLine"]["data"]) >= 1
    expect(page.locator("#alert-changes tbody tr")).to_have_count(len(alert["change_ids"]))  # type: ignore[arg-type]
    screenshot(page, "alert")

    page.select_option("#triage-form select[name=state]", "investigating")
    page.fill("#triage-form input[name=note]", "bisecting the nightly range")
    page.click("#triage-form button")
    # No token yet: the page asks. A submit-scope token is refused (403), so it asks again.
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=token]").fill(dashboard.submit_token)
    dialog.locator("button[value=ok]").click()
    expect(dialog.locator(".token-reason")).to_contain_text("triage")
    dialog.locator("input[name=token]").fill(dashboard.triage_token)
    with page.expect_navigation():
        dialog.locator("button[value=ok]").click()
    expect(page.locator("#alert-state")).to_have_text("investigating")
    expect(page.locator("#alert-history li").last).to_contain_text("bisecting the nightly range")

    answer = dashboard.api(f"/api/v1/alerts/{alert['id']}").json()
    assert answer["state"] == "investigating"
    assert answer["history"][-1]["who"] == dashboard.triage_token_name

    # The token is kept for the tab: a second triage asks for nothing.
    page.select_option("#triage-form select[name=state]", "acknowledged")
    with page.expect_navigation():
        page.click("#triage-form button")
    expect(page.locator("#alert-state")).to_have_text("acknowledged")
    assert dashboard.api(f"/api/v1/alerts/{alert['id']}").json()["state"] == "acknowledged"
