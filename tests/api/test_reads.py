"""The read contracts of docs/api.md: series, trend, sweeps, compare, changes, health, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import api_client, make_token
from tests.support import real_clients
from tests.support.builders import gpt_oss_body, source, synthetic_body
from tests.support.independent import by_label, independent_readings
from tracker import models
from tracker.settings import Settings
from tracker.vocabulary import Metric, TokenScope


@pytest.fixture
def history(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """Three nights of sglang and vllm on MI355X (vllm 10 % slower), plus gpt-oss on GB200."""
    for night in range(3):
        for engine, level in (("sglang", 1.0 + 0.01 * night), ("vllm", 0.9)):
            body = synthetic_body(engine=engine, night=night, level=level)
            assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 202
    client.post("/api/v1/submissions", json=gpt_oss_body(), headers=auth)
    series = client.get("/api/v1/series").json()["items"]
    return {item["config"]["framework"]: item for item in series}


def test_series_list_gives_configs_and_latest_values(history: dict[str, Any]) -> None:
    assert set(history) == {"sglang", "vllm", "dynamo-trt"}
    sglang = history["sglang"]
    assert sglang["config"]["hardware"] == "mi355x"
    assert sglang["config"]["gpus"] == 8
    assert sglang["latest"]["timestamp"] == "2026-06-03T03:00:00Z"
    assert sglang["latest"]["commit"] == "0002abcdef"
    values = sglang["latest"]["values"]["tput_per_gpu"]
    assert set(values) >= {"35", "50", "75", "100", "125"}
    assert values["35"] > values["125"] > 0
    assert sglang["last_change"] is None


@pytest.mark.parametrize(
    ("query", "frameworks"),
    [
        ("hardware=mi355x", {"sglang", "vllm"}),
        ("hardware=MI355X_0", {"sglang", "vllm"}),  # normalised like submitted configs
        ("framework=dynamo-trtllm", {"dynamo-trt"}),
        ("disagg=true", {"dynamo-trt"}),
        ("disagg=false&tp=8", {"sglang", "vllm"}),
        ("gpus=16", {"dynamo-trt"}),
        ("precision=fp4&hardware=mi355x", set()),
    ],
)
def test_series_filter_by_any_config_field(
    query: str, frameworks: set[str], history: dict[str, Any], client: TestClient
) -> None:
    items = client.get(f"/api/v1/series?{query}").json()["items"]
    assert {item["config"]["framework"] for item in items} == frameworks


def test_series_filters_reject_unknown_fields_and_bad_values(
    history: dict[str, Any], client: TestClient
) -> None:
    unknown = client.get("/api/v1/series?gpu=mi355x")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "gpu"]
    bad = client.get("/api/v1/series?tp=eight")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "tp"]


def test_series_pagination_walks_every_item_once(
    history: dict[str, Any], client: TestClient
) -> None:
    seen, cursor = [], None
    while True:
        url = "/api/v1/series?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(item["id"] for item in history.values())
    assert len(seen) == 3
    assert client.get("/api/v1/series?cursor=not-a-cursor").status_code == 422
    assert client.get("/api/v1/series?limit=1001").status_code == 422


def test_trend_is_ordered_and_filtered_by_time(history: dict[str, Any], client: TestClient) -> None:
    series_id = history["sglang"]["id"]
    trend = client.get(f"/api/v1/series/{series_id}/trend?interactivity=35").json()
    assert trend["series_id"] == series_id and trend["metric"] == "tput_per_gpu"
    points = trend["points"]
    assert [p["commit"] for p in points] == ["0000abcdef", "0001abcdef", "0002abcdef"]
    assert points[0]["value"] < points[1]["value"] < points[2]["value"]  # +1 % a night
    assert points[2]["value"] / points[0]["value"] == pytest.approx(1.02, rel=1e-6)
    assert all(p["outlier"] is False for p in points)
    assert trend["changes"] == [] and trend["suspected"] == []
    window = client.get(
        f"/api/v1/series/{series_id}/trend?interactivity=35"
        "&since=2026-06-02T00:00:00Z&until=2026-06-03T00:00:00Z"
    ).json()
    assert [p["commit"] for p in window["points"]] == ["0001abcdef"]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2026-06-02", "2026-06-03"),
        ("2026-06-02T00:00:00", "2026-06-03T00:00:00"),
        ("2026-06-02T02:00:00%2B02:00", "2026-06-03T00:00:00Z"),
    ],
)
def test_since_and_until_without_a_zone_are_utc(
    since: str, until: str, history: dict[str, Any], client: TestClient
) -> None:
    series_id = history["sglang"]["id"]
    window = f"since={since}&until={until}"
    trend = client.get(f"/api/v1/series/{series_id}/trend?interactivity=35&{window}")
    assert trend.status_code == 200, trend.text
    assert [p["commit"] for p in trend.json()["points"]] == ["0001abcdef"]
    sweeps = client.get(f"/api/v1/series/{series_id}/sweeps?{window}")
    assert sweeps.status_code == 200, sweeps.text
    assert [s["source"]["commit"] for s in sweeps.json()["items"]] == ["0001abcdef"]
    changes = client.get(f"/api/v1/changes?{window}")
    assert changes.status_code == 200, changes.text
    assert client.get("/api/v1/changes?since=2026-09-01").status_code == 200
    assert client.get("/api/v1/changes?until=2026-09-01").status_code == 200


def test_trend_interactivity_must_be_a_target(history: dict[str, Any], client: TestClient) -> None:
    response = client.get(f"/api/v1/series/{history['sglang']['id']}/trend?interactivity=36")
    assert response.status_code == 422
    assert "10, 20, 35, 50, 75, 100, 125, 150, 200" in response.json()["detail"][0]["msg"]
    assert client.get("/api/v1/series/999999/trend?interactivity=35").status_code == 404


def test_cost_trend_uses_the_price_set(history: dict[str, Any], client: TestClient) -> None:
    series_id = history["sglang"]["id"]
    base = f"/api/v1/series/{series_id}/trend?interactivity=35"
    tput = client.get(base).json()["points"][0]["value"]
    for price_set, price in (("hyperscaler", 1.48), ("neocloud", 1.90), ("rental", 2.10)):
        cost = client.get(f"{base}&metric=cost_per_mtok&price_set={price_set}").json()
        assert cost["price_set"] == price_set
        assert cost["points"][0]["value"] == pytest.approx(price / (tput * 3600 / 1e6))


def test_sweeps_newest_first_with_front_and_costs(
    history: dict[str, Any], client: TestClient
) -> None:
    series_id = history["sglang"]["id"]
    page = client.get(f"/api/v1/series/{series_id}/sweeps?limit=2").json()
    assert [s["source"]["commit"] for s in page["items"]] == ["0002abcdef", "0001abcdef"]
    rest = client.get(f"/api/v1/series/{series_id}/sweeps?limit=2&cursor={page['next']}").json()
    assert [s["source"]["commit"] for s in rest["items"]] == ["0000abcdef"]
    assert rest["next"] is None
    sweep = client.get(f"/api/v1/sweeps/{page['items'][0]['id']}").json()
    assert sweep == page["items"][0]
    assert [p["conc"] for p in sweep["points"]] == [4, 8, 16, 32, 64, 128, 256]
    assert all(p["on_front"] for p in sweep["points"])
    assert sweep["source"]["engine"] == "sglang"
    assert sweep["source"]["components"] == {"rocm": "7.0.2"}
    tput35 = sweep["frontier"]["tput_per_gpu"]["35"]
    assert sweep["frontier"]["cost_per_mtok"]["hyperscaler"]["35"] == pytest.approx(
        1.48 / (tput35 * 3600 / 1e6)
    )
    assert client.get("/api/v1/sweeps/999999").status_code == 404


def test_compare_engines_on_one_gpu(history: dict[str, Any], client: TestClient) -> None:
    query = (
        "model=deepseek-ai/DeepSeek-R1-0528&precision=fp8&isl=1024&osl=1024"
        "&hardware=mi355x&interactivity=42.5"
    )
    items = client.get(f"/api/v1/compare?{query}").json()["items"]
    by_engine = {item["config"]["framework"]: item for item in items}
    assert set(by_engine) == {"sglang", "vllm"}
    assert by_engine["vllm"]["tput_per_gpu"] / by_engine["sglang"]["tput_per_gpu"] == pytest.approx(
        0.9 / 1.02, rel=1e-6
    )
    assert by_engine["sglang"]["commit"] == "0002abcdef"
    assert set(by_engine["sglang"]["cost_per_mtok"]) == {"hyperscaler", "neocloud", "rental"}


def test_compare_lists_configs_out_of_range_without_a_value(
    history: dict[str, Any], client: TestClient
) -> None:
    query = (
        "model=deepseek-ai/DeepSeek-R1-0528&precision=fp8&isl=1024&osl=1024"
        "&hardware=mi355x&interactivity=500"
    )
    items = client.get(f"/api/v1/compare?{query}").json()["items"]
    assert len(items) == 2
    assert all(item["tput_per_gpu"] is None for item in items)
    assert all(set(item["cost_per_mtok"].values()) == {None} for item in items)


def test_compare_needs_the_slice(history: dict[str, Any], client: TestClient) -> None:
    response = client.get("/api/v1/compare?model=x&interactivity=35")
    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert ["query", "precision"] in locs and ["query", "isl"] in locs


def test_submission_status_404(client: TestClient) -> None:
    assert client.get("/api/v1/submissions/424242").status_code == 404


def test_healthz_and_metrics(history: dict[str, Any], client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "broker": None,
        "down": [],
    }
    text = client.get("/metrics").text
    assert 'tracker_submissions{status="processed"} 7.0' in text
    assert "tracker_series 3.0" in text
    assert 'route="/api/v1/submissions",status="202"' in text


@pytest.fixture
def private_client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    settings = Settings(database_url="postgresql+psycopg://unused/unused", public_reads=False)
    with api_client(settings, session_factory) as client:
        yield client


def test_private_reads_need_any_valid_token(
    private_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    assert private_client.get("/api/v1/series").status_code == 401
    assert private_client.get("/metrics").status_code == 401
    assert private_client.get("/healthz").status_code == 200
    token = make_token(session_factory, TokenScope.TRIAGE)
    response = private_client.get("/api/v1/series", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_trend_read_is_an_index_range_scan(history: dict[str, Any], db_session: Session) -> None:
    """The trend query is answered from the (config, metric, interactivity, timestamp) index."""
    series_id = history["sglang"]["id"]
    query = (
        select(models.FrontierValue.timestamp, models.FrontierValue.value)
        .where(
            models.FrontierValue.config_id == series_id,
            models.FrontierValue.metric == Metric.TPUT_PER_GPU,
            models.FrontierValue.interactivity == 35.0,
        )
        .order_by(models.FrontierValue.timestamp)
    )
    compiled = query.compile(
        dialect=db_session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    # A few rows make a sequential scan cheapest; forbid it to see which index serves the shape.
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in db_session.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_frontier_values_config_id_metric_interactivity_timestamp" in plan, plan
    assert "Sort" not in plan, plan  # the index order is the answer's order


def test_latest_is_the_newest_run_even_when_an_older_one_arrives_later(
    client: TestClient, auth: dict[str, str]
) -> None:
    for night in (5, 2):  # night 2 is backfilled after night 5
        body = synthetic_body(engine="sglang", night=night, level=1.0 + night / 100)
        assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 202
    (item,) = client.get("/api/v1/series").json()["items"]
    assert item["latest"]["commit"] == "0005abcdef"
    explorer_value = item["latest"]["values"]["tput_per_gpu"]["35"]
    newer = synthetic_body(engine="sglang", night=9, level=1.2)
    client.post("/api/v1/submissions", json=newer, headers=auth)
    (item,) = client.get("/api/v1/series").json()["items"]
    assert item["latest"]["commit"] == "0009abcdef"
    assert item["latest"]["values"]["tput_per_gpu"]["35"] > explorer_value


@pytest.fixture
def power_and_no_power(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """The real single-node sweep on H200 (InferenceX power fields) and the same sweep on
    runner b200-new (`power_valid: 0`, no energy)."""
    for night, path in enumerate((real_clients.SINGLE_NODE, real_clients.RUNNER_LABELS[1])):
        body = {
            "source": source(engine="sglang", run_key=f"power:{night}", repo=None),
            "format": "inferencex",
            "results": real_clients.json_rows(path),
        }
        assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 202
    series = client.get("/api/v1/series").json()["items"]
    return {item["config"]["hardware"]: item for item in series}


def test_latency_and_energy_are_read_along_the_throughput_front(
    power_and_no_power: dict[str, Any], client: TestClient
) -> None:
    assert real_clients.RUNNER_LABELS[1].name == "agg_bmk_b200-new.json"
    rows = real_clients.json_rows(real_clients.SINGLE_NODE)
    frontier = client.get(f"/api/v1/sweeps/{power_and_no_power['h200']['latest']['sweep_id']}")
    values = frontier.json()["frontier"]
    for metric, key in (
        ("median_ttft", "median_ttft"),
        ("p99_ttft", "p99_ttft"),
        ("joules_per_token", "joules_per_output_token"),
    ):
        expected = independent_readings(
            [(row["median_intvty"], row["tput_per_gpu"], row[key]) for row in rows],
            [35, 50, 75, 100, 125],
        )
        assert values[metric] == pytest.approx(by_label(expected), rel=1e-9), metric
    # never extrapolated: the front spans 23–136 tok/s/user
    assert set(values["p99_ttft"]) == {"35", "50", "75", "100", "125"}
    no_power = power_and_no_power["b200"]["latest"]
    assert no_power["values"]["joules_per_token"] == {}
    assert no_power["values"]["p99_ttft"] == values["p99_ttft"]


def test_latency_and_energy_trends_say_higher_is_worse(
    power_and_no_power: dict[str, Any], client: TestClient
) -> None:
    series_id = power_and_no_power["h200"]["id"]
    sweep = client.get(f"/api/v1/sweeps/{power_and_no_power['h200']['latest']['sweep_id']}")
    for metric in ("median_ttft", "p99_ttft", "joules_per_token"):
        trend = client.get(f"/api/v1/series/{series_id}/trend?interactivity=50&metric={metric}")
        assert trend.status_code == 200
        body = trend.json()
        assert body["higher_is_better"] is False
        assert [p["value"] for p in body["points"]] == [sweep.json()["frontier"][metric]["50"]]
    tput = client.get(f"/api/v1/series/{series_id}/trend?interactivity=50").json()
    assert tput["higher_is_better"] is True


def test_an_unknown_trend_metric_is_a_422_naming_the_allowed_ones(
    power_and_no_power: dict[str, Any], client: TestClient
) -> None:
    series_id = power_and_no_power["h200"]["id"]
    response = client.get(f"/api/v1/series/{series_id}/trend?interactivity=50&metric=ttft")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "metric"]
    for allowed in ("tput_per_gpu", "median_ttft", "p99_ttft", "joules_per_token"):
        assert allowed in error["msg"]


def test_compare_gives_latency_and_energy_where_the_rows_carry_them(
    power_and_no_power: dict[str, Any], client: TestClient
) -> None:
    query = (
        "model=fake-org/Fake-Model-8B&precision=fp8&isl=1024&osl=128&framework=sglang"
        "&interactivity=50"
    )
    items = client.get(f"/api/v1/compare?{query}").json()["items"]
    by_gpu = {item["config"]["hardware"]: item for item in items}
    h200 = client.get(f"/api/v1/sweeps/{power_and_no_power['h200']['latest']['sweep_id']}")
    frontier = h200.json()["frontier"]
    assert by_gpu["h200"]["p99_ttft"] == pytest.approx(frontier["p99_ttft"]["50"])
    assert by_gpu["h200"]["median_ttft"] == pytest.approx(frontier["median_ttft"]["50"])
    assert by_gpu["h200"]["joules_per_token"] == pytest.approx(frontier["joules_per_token"]["50"])
    assert by_gpu["b200"]["joules_per_token"] is None
    assert by_gpu["b200"]["p99_ttft"] == pytest.approx(by_gpu["h200"]["p99_ttft"])
