"""The explorer, trend, sweep and compare pages in headless Chromium, on the seeded history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from alerts.messages.formatting import throughput
from tests.api.dashboard.conftest import Dashboard, chart_option, screenshot, wait_for_chart
from tests.api.dashboard.seeding import FAILED_CONC, MODEL, NIGHTS, night_body, seeded_configs

SLICE = f"model={MODEL}&precision=fp8&isl=1024&osl=1024"


def series_id(dashboard: Dashboard, **config: str) -> int:
    query = "&".join(f"{name}={value}" for name, value in config.items())
    (item,) = dashboard.api(f"/api/v1/series?{query}").json()["items"]
    return int(item["id"])


def drawn_points(option: dict[str, Any], *series_indexes: int) -> int:
    return sum(len(option["series"][index]["data"]) for index in series_indexes)


def test_explorer_lists_filters_and_sorts_series(page: Page, dashboard: Dashboard) -> None:
    page.goto("/")
    wait_for_chart(page, "#explorer-chart")
    every_series = len(seeded_configs())
    expect(page.locator("#series-table tbody tr")).to_have_count(every_series)
    assert page.get_attribute("#explorer-chart", "data-points") == str(every_series)
    option = chart_option(page, "#explorer-chart")
    assert drawn_points(option, *range(len(option["series"]))) == every_series
    values = [
        float(text.replace(",", ""))
        for text in page.locator("#series-table td.value").all_inner_texts()
    ]
    assert values == sorted(values, reverse=True)
    screenshot(page, "explorer")

    with page.expect_navigation():
        page.select_option("#filter-form select[name=hardware]", "h200")
    assert "hardware=h200" in page.url
    assert "model=" not in page.url  # blank filters stay out of a shared URL
    wait_for_chart(page, "#explorer-chart")
    expect(page.locator("#series-table tbody tr")).to_have_count(2)
    assert set(page.locator("#series-table tbody td:nth-child(3)").all_inner_texts()) == {"H200"}
    assert drawn_points(chart_option(page, "#explorer-chart"), 0, 1) == 2

    page.goto("/?sort=engine&hardware=mi355x")
    engines = page.locator("#series-table tbody td:nth-child(2)").all_inner_texts()
    assert engines == sorted(engines) and len(engines) == 3


def iso_millis(moment: str) -> int:
    """Milliseconds since the epoch, as the chart's time axis takes them."""
    return int(datetime.fromisoformat(moment).timestamp() * 1000)


def test_trend_page_marks_change_points_outliers_and_alert(
    page: Page, dashboard: Dashboard
) -> None:
    stepped = series_id(dashboard, framework="sglang", hardware="mi355x", precision="fp8")
    trend = dashboard.api(f"/api/v1/series/{stepped}/trend?interactivity=35").json()
    assert len(trend["changes"]) == 1 and any(point["outlier"] for point in trend["points"])

    page.goto(f"/series/{stepped}?target=35&metric=tput_per_gpu")
    wait_for_chart(page, "#trend-chart")
    chart = page.locator("#trend-chart")
    outliers = sum(point["outlier"] for point in trend["points"])
    assert chart.get_attribute("data-points") == str(len(trend["points"]))
    assert chart.get_attribute("data-outliers") == str(outliers)
    assert chart.get_attribute("data-changes") == "1"
    option = chart_option(page, "#trend-chart")
    assert drawn_points(option, 0, 1) == len(trend["points"])
    assert len(option["series"][1]["data"]) == outliers
    markers = option["series"][0]["markLine"]["data"]
    assert len(markers) == len(trend["changes"]) + len(trend["suspected"])
    assert "−11" in markers[0]["label"]["formatter"] or "−12" in markers[0]["label"]["formatter"]
    (band,) = option["series"][0]["markArea"]["data"]  # the runs the change's cause lies in
    commit_range = trend["changes"][0]["commit_range"]
    assert [edge["xAxis"] for edge in band] == [
        iso_millis(commit_range["runs_after"]),
        iso_millis(commit_range["runs_through"]),
    ]

    alert_id = trend["changes"][0]["alert_id"]
    assert alert_id is not None
    change_row = page.locator("#change-table tbody tr")
    expect(change_row.locator(f'a[href="/alerts/{alert_id}"]')).to_be_visible()
    expect(change_row.locator('a[href*="/compare/"]')).to_have_count(1)
    screenshot(page, "trend")

    page.select_option("#trend-form select[name=metric]", "cost_per_mtok")
    page.wait_for_url("**metric=cost_per_mtok**")
    wait_for_chart(page, "#trend-chart")
    assert page.get_attribute("#trend-chart", "data-changes") == "0"  # cost is not detected on


def test_trend_page_draws_suspected_changes_dashed(page: Page, dashboard: Dashboard) -> None:
    late = series_id(dashboard, framework="vllm", hardware="h200", precision="fp8")
    trend = dashboard.api(f"/api/v1/series/{late}/trend?interactivity=35").json()
    assert len(trend["suspected"]) == 1 and not trend["changes"]

    page.goto(f"/series/{late}?target=35")
    wait_for_chart(page, "#trend-chart")
    assert page.get_attribute("#trend-chart", "data-suspected") == "1"
    (marker,) = chart_option(page, "#trend-chart")["series"][0]["markLine"]["data"]
    assert marker["lineStyle"]["type"] == "dashed"
    assert marker["label"]["formatter"].startswith("? −10")
    expect(page.locator("#suspected-list li")).to_have_count(1)


def test_trend_page_shows_a_run_whose_value_failed_requests_withheld(
    page: Page, dashboard: Dashboard
) -> None:
    failed = series_id(dashboard, framework="sglang", hardware="mi355x", precision="fp4")
    trend = dashboard.api(f"/api/v1/series/{failed}/trend?interactivity=35").json()
    (run,) = trend["withheld"]

    page.goto(f"/series/{failed}?target=35")
    wait_for_chart(page, "#trend-chart")
    assert page.get_attribute("#trend-chart", "data-withheld") == "1"
    (marker,) = chart_option(page, "#trend-chart")["series"][0]["markLine"]["data"]
    assert marker["xAxis"] == iso_millis(run["timestamp"])
    assert marker["lineStyle"]["type"] == "dotted"
    (row,) = page.locator("#withheld-table tbody tr").all()
    expect(row).to_contain_text(f"conc {FAILED_CONC}: 40 of 2560 requests failed")
    expect(row.locator(f'a[href="/sweeps/{run["sweep_id"]}"]')).to_be_visible()
    expect(page.locator("#change-table")).to_have_count(0)  # never read as a change

    page.goto(f"/sweeps/{run['sweep_id']}")
    wait_for_chart(page, "#sweep-chart")
    expect(page.locator("#degraded-note")).to_contain_text(
        f"conc {FAILED_CONC}: 40 of 2560 requests failed, a point of the front"
    )
    expect(page.locator("#degraded-note")).to_contain_text("tput_per_gpu at 35")
    crosses = chart_option(page, "#sweep-chart")["series"][2]
    assert crosses["name"].startswith("failed requests") and len(crosses["data"]) == 1
    expect(page.locator("#point-table tbody tr", has_text="left out")).to_have_count(1)


def test_sweep_page_overlays_the_front_before_the_change(page: Page, dashboard: Dashboard) -> None:
    stepped = series_id(dashboard, framework="sglang", hardware="mi355x", precision="fp8")
    (latest,) = dashboard.api(f"/api/v1/series/{stepped}/sweeps?limit=1").json()["items"]
    on_front = sum(point["on_front"] for point in latest["points"])

    page.goto(f"/sweeps/{latest['id']}?overlay=last-change")
    wait_for_chart(page, "#sweep-chart")
    chart = page.locator("#sweep-chart")
    assert chart.get_attribute("data-front") == str(on_front)
    assert chart.get_attribute("data-dominated") == str(len(latest["points"]) - on_front)
    assert int(chart.get_attribute("data-overlay-front") or 0) > 0
    option = chart_option(page, "#sweep-chart")
    assert len(option["series"]) == 4  # front and dominated points, now and before
    assert len(option["series"][0]["data"]) == on_front
    changes = page.locator("#target-table tbody td:nth-child(4)").all_inner_texts()
    assert changes and all(text.startswith("−1") for text in changes)  # about −12 % everywhere
    screenshot(page, "sweep")


def test_compare_opens_on_the_best_covered_slice_in_the_labels_of_the_other_pages(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto("/compare")
    wait_for_chart(page, "#compare-chart")
    # Both engines run on both GPUs: the tie goes to the first slice, H200.
    assert "hardware=h200" in page.url and "isl=1024" in page.url
    assert page.get_attribute("#compare-chart", "data-bars") == "2"
    expect(page.locator("#compare-form label:has(select[name=hardware])")).to_contain_text("GPU")
    expect(page.locator("#compare-form select[name=hardware] option:checked")).to_have_text("H200")
    expect(page.locator("#compare-form select[name=precision] option:checked")).to_have_text("FP8")
    expect(page.locator("#compare-form select[name=model] option:checked")).to_have_text(
        "deepseek-r1-0528"
    )  # as the explorer names it
    labels = chart_option(page, "#compare-chart")["yAxis"][0]["data"]  # type: ignore[index]
    assert sorted(labels) == ["sglang · TP8", "vllm · TP8"]

    page.goto(f"/compare?mode=engines&model={MODEL}")
    expect(page.locator("main p", has_text="Choose the")).to_have_text(
        "Choose the precision, ISL, OSL, GPU to compare."
    )


def test_compare_says_why_the_chart_is_empty_outside_the_data(
    page: Page, dashboard: Dashboard
) -> None:
    outside = 200
    api = dashboard.api(f"/api/v1/compare?{SLICE}&hardware=mi355x&interactivity={outside}")
    assert all(item["tput_per_gpu"] is None for item in api.json()["items"])
    page.goto(f"/compare?{SLICE}&hardware=mi355x&interactivity=35")
    wait_for_chart(page, "#compare-chart")
    note = page.locator("#compare-note")
    expect(note).to_be_empty()

    page.locator("#interactivity").fill(str(outside))
    page.wait_for_selector(f'#compare-table[data-interactivity="{outside}"]')
    expect(note).to_contain_text(f"No config in this slice reaches {outside} tok/s/user")
    expect(note).to_contain_text("Their latest fronts span")
    title = chart_option(page, "#compare-chart")["title"][0]  # type: ignore[index]
    assert title["show"] is True and str(outside) in title["text"]
    screenshot(page, "compare-outside-the-data")


def test_compare_slider_reads_values_again(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"/compare?{SLICE}&hardware=mi355x&interactivity=35")
    wait_for_chart(page, "#compare-chart")
    rows = page.locator("#compare-table tbody tr")
    expect(rows).to_have_count(2)
    assert page.get_attribute("#compare-chart", "data-bars") == "2"
    sparkline = page.locator("#compare-table svg.sparkline").first
    assert sparkline.get_attribute("data-points") == "30"
    at_35 = rows.first.locator('[data-field="tput_per_gpu"]').inner_text()

    page.locator("#interactivity").fill("100")
    page.wait_for_selector('#compare-table[data-interactivity="100"]')
    first_id = rows.first.get_attribute("data-series-id")
    api = dashboard.api(f"/api/v1/compare?{SLICE}&hardware=mi355x&interactivity=100").json()
    expected = next(i for i in api["items"] if str(i["series_id"]) == first_id)
    at_100 = rows.first.locator('[data-field="tput_per_gpu"]')
    expect(at_100).to_have_text(throughput(expected["tput_per_gpu"]))
    assert at_100.inner_text() != at_35
    assert "interactivity=100" in page.url
    expect(page.locator(".sparkline-target")).to_have_text("100")
    screenshot(page, "compare")

    page.goto(f"/compare?{SLICE}&mode=gpus&framework=vllm&interactivity=50")
    wait_for_chart(page, "#compare-chart")
    gpus = page.locator("#compare-table tbody td:first-child").all_inner_texts()
    assert sorted(gpus) == ["H200", "MI355X"]


def test_a_candidate_page_shows_its_verdict_and_each_front_over_the_baseline(
    page: Page, dashboard: Dashboard
) -> None:
    """A pull request's run of the last sglang night, 10 % slower on MI355X FP4 (a quiet series
    with no change), is judged; its page lists regressions first and draws each series' front
    over the baseline run's."""
    configs = [c for c in seeded_configs() if c.engine == "sglang"]
    body = night_body("sglang", NIGHTS - 1, configs)
    for row in body["results"]:
        if row["hw"] == "mi355x" and row["precision"] == "fp4":
            for metric in ("tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu"):
                row[metric] *= 0.9
    body["source"].update(
        run_key="dashboard-candidate", commit="cafe000001", pull_request=4242, branch="pr-4242"
    )
    posted = httpx.post(
        f"{dashboard.base_url}/api/v1/submissions",
        json=body,
        headers={"Authorization": f"Bearer {dashboard.submit_token}"},
        timeout=30,
    )
    assert posted.status_code == 202, posted.text
    submission = posted.json()["id"]
    verdict = dashboard.api(f"/api/v1/submissions/{submission}/verdict").json()
    series = {item["series_id"] for item in verdict["items"]}
    fp4 = series_id(dashboard, framework="sglang", hardware="mi355x", precision="fp4")
    assert {i["series_id"] for i in verdict["items"] if i["verdict"] == "regression"} == {fp4}

    page.goto(f"/submissions/{submission}")
    expect(page.locator("#verdict")).to_contain_text("regression")
    rows = page.locator("#verdict-table tbody tr")
    expect(rows).to_have_count(len(verdict["items"]))
    assert "▼ regression" in rows.first.inner_text()
    for each in series:
        wait_for_chart(page, f"#front-{each}")
        option = chart_option(page, f"#front-{each}")
        assert len(option["series"]) == 4  # front and dominated points, candidate and baseline
        baseline = next(
            i["baseline"]["sweep_id"] for i in verdict["items"] if i["series_id"] == each
        )
        assert page.get_attribute(f"#front-{each}", "data-baseline") == str(baseline)
    screenshot(page, "submission")


def test_latency_trend_and_metric_pickers_say_higher_is_worse(
    page: Page, dashboard: Dashboard
) -> None:
    stepped = series_id(dashboard, framework="sglang", hardware="mi355x", precision="fp8")
    trend = dashboard.api(f"/api/v1/series/{stepped}/trend?interactivity=35&metric=median_ttft")
    points = trend.json()["points"]
    assert points and trend.json()["higher_is_better"] is False

    page.goto(f"/series/{stepped}?target=35&metric=median_ttft")
    wait_for_chart(page, "#trend-chart")
    assert page.get_attribute("#trend-chart", "data-points") == str(len(points))
    option = chart_option(page, "#trend-chart")
    assert option["yAxis"][0]["name"] == "median TTFT (s; higher is worse)"  # type: ignore[index]
    expect(page.locator("#trend-form select[name=metric] option:checked")).to_have_text(
        "median TTFT (s; higher is worse)"
    )

    page.goto("/?metric=p99_ttft")
    wait_for_chart(page, "#explorer-chart")
    offered = page.locator("#filter-form select[name=metric] option").all_inner_texts()
    assert offered == [
        "throughput per GPU (tok/s/GPU)",
        "output throughput per GPU (tok/s/GPU)",
        "median TTFT (s; higher is worse)",
        "p99 TTFT (s; higher is worse)",
        "energy per output token (J; higher is worse)",
    ]
    expect(page.locator("#filter-form select[name=metric] option:checked")).to_have_text(
        "p99 TTFT (s; higher is worse)"
    )
