"""Latency and energy tracks end to end: `tracker serve` and a real Celery worker on Postgres and
Redis, alerts posted to a local Slack stand-in. A commit that buys throughput with p99 TTFT is
one alert, a trade, never an improvement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support.builders import nightly_levels, synthetic_body
from tests.support.services import tracker_process, tracker_server, wait_for
from tests.support.slack_stand_in import SlackStandIn
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

BROKER_URL = f"{REDIS_URL}/10"
SLACK_TOKEN = "xoxb-stand-in"
SLACK_CHANNEL = "C0ALERTS"
NIGHTS = 24
STEP_NIGHT = 18
POWERED = {"tp": 8, "joules_level": 1.0}  # rows with InferenceX power fields
UNPOWERED = {"tp": 4}  # the same engine's config without them


@pytest.fixture
def service(scratch_databases: ScratchDatabases, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """API and worker on a database of their own, Slack a stand-in."""
    database_url = scratch_databases.create()
    redis.Redis.from_url(BROKER_URL).flushdb()
    engine = create_db_engine(database_url)
    submit = make_token(make_sessionmaker(engine), TokenScope.SUBMIT)
    with SlackStandIn(token=SLACK_TOKEN) as slack:
        env = {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_BROKER_URL": BROKER_URL,
            "TRACKER_ALERT_SETTLE_SECONDS": "0",
            "TRACKER_SLACK_TOKEN": SLACK_TOKEN,
            "TRACKER_SLACK_API_URL": slack.base_url,
            "TRACKER_SLACK_CHANNEL": SLACK_CHANNEL,
        }
        with (
            tracker_server(env, tmp_path) as url,
            tracker_process(["worker", "--concurrency", "2"], env, tmp_path / "worker.log"),
        ):
            yield {"url": url, "submit": submit, "slack": slack}
    engine.dispose()


def api(service: dict[str, Any]) -> httpx.Client:
    return httpx.Client(
        base_url=service["url"],
        headers={"Authorization": f"Bearer {service['submit']}"},
        timeout=60,
    )


def post_trade_history(http: httpx.Client) -> None:
    """24 nights of two sglang configs; on night 18 a commit raises throughput 6 % and p99 TTFT
    40 % on both (each with its own noise)."""
    tput = [nightly_levels(NIGHTS, steps={STEP_NIGHT: 1.06}, seed=5 + i) for i in range(2)]
    ttft = [
        nightly_levels(NIGHTS, steps={STEP_NIGHT: 1.40}, noise=0.02, seed=9 + i) for i in range(2)
    ]
    for night in range(NIGHTS):
        body = synthetic_body(engine="sglang", night=night, level=1.0)
        body["results"] = []
        for index, fields in enumerate((POWERED, UNPOWERED)):
            body["results"] += synthetic_body(
                engine="sglang",
                night=night,
                level=tput[index][night],
                p99_ttft_level=ttft[index][night],
                **fields,
            )["results"]
        answer = http.post("/api/v1/submissions", json=body)
        assert answer.status_code == 202, answer.text
        wait_for(
            lambda a=answer: http.get(a.json()["status_url"]).json()["status"] == "processed",
            60,
            f"night {night} processed",
        )


def test_throughput_bought_with_p99_ttft_is_one_trade_alert_not_an_improvement(
    service: dict[str, Any],
) -> None:
    slack: SlackStandIn = service["slack"]
    with api(service) as http:
        post_trade_history(http)
        wait_for(lambda: bool(slack.parents(SLACK_CHANNEL)), 60, "the Slack parent")
        (alert,) = http.get("/api/v1/alerts").json()["items"]
        detail = http.get(f"/api/v1/alerts/{alert['id']}").json()

    assert alert["state"] == "untriaged"
    assert alert["commit_range"]["to"] == f"{STEP_NIGHT:04d}abcdef"
    moved = {(c["metric"], c["direction"]) for c in detail["changes"] if c["state"] == "confirmed"}
    assert ("tput_per_gpu", "gain") in moved
    assert ("p99_ttft", "regression") in moved  # a higher TTFT is a regression
    assert not {metric for metric, _ in moved} & {"median_ttft", "joules_per_token"}
    ttft_35 = [
        c for c in detail["changes"] if c["metric"] == "p99_ttft" and c["interactivity"] == 35
    ]
    assert len(ttft_35) == 2
    assert all(c["relative_change"] == pytest.approx(0.40, abs=0.04) for c in ttft_35)

    (parent,) = slack.parents(SLACK_CHANNEL)
    header = parent.blocks[0]["text"]["text"]
    assert header.startswith("⚖️ Trade in sglang ")
    assert header.endswith(f"…{STEP_NIGHT:04d}abc · untriaged")
    trade_line = next(line for line in parent.text.splitlines() if line.startswith("Trade:"))
    assert " tput/GPU at 35 tok/s/user, p99 TTFT +" in trade_line
    assert trade_line.endswith("— not an improvement")
    assert "nice work" not in parent.text
    assert f"…{STEP_NIGHT:04d}abc: trade (+" in alert["summary"]


def test_energy_is_tracked_only_for_rows_with_power_fields(service: dict[str, Any]) -> None:
    with api(service) as http:
        post_trade_history(http)
        series = {item["config"]["tp"]: item for item in http.get("/api/v1/series").json()["items"]}
        trends = {
            tp: http.get(
                f"/api/v1/series/{item['id']}/trend?interactivity=50&metric=joules_per_token"
            ).json()
            for tp, item in series.items()
        }

    assert len(trends[8]["points"]) == NIGHTS
    assert trends[8]["higher_is_better"] is False
    # 2.5 J × (1 + 32 / conc) along the front: between conc 128 (46.8 tok/s/user, 3.125 J)
    # and conc 64 (69.7 tok/s/user, 3.75 J)
    assert 3.125 < trends[8]["points"][0]["value"] < 3.75
    assert trends[4]["points"] == []
    assert series[4]["latest"]["values"]["joules_per_token"] == {}
    assert series[4]["latest"]["values"]["p99_ttft"] != {}


def test_a_trade_that_joins_an_open_alert_of_other_regressions_is_still_said_as_a_trade(
    service: dict[str, Any],
) -> None:
    """On one commit (night 18) tp8 loses 8 % throughput and tp4 gains 6 % for 40 % more p99
    TTFT. tp8 posts first each night, so its regression opens the alert and tp4's trade, confirmed
    from its own submission, joins it."""
    slack: SlackStandIn = service["slack"]
    regressed = nightly_levels(NIGHTS, steps={STEP_NIGHT: 0.92}, seed=21)
    traded = nightly_levels(NIGHTS, steps={STEP_NIGHT: 1.06}, seed=22)
    ttft = nightly_levels(NIGHTS, steps={STEP_NIGHT: 1.40}, noise=0.02, seed=23)
    with api(service) as http:
        for night in range(NIGHTS):
            for body in (
                synthetic_body(engine="sglang", night=night, level=regressed[night], tp=8),
                synthetic_body(
                    engine="sglang",
                    night=night,
                    level=traded[night],
                    p99_ttft_level=ttft[night],
                    tp=4,
                ),
            ):
                answer = http.post("/api/v1/submissions", json=body)
                assert answer.status_code == 202, answer.text
                wait_for(
                    lambda a=answer: (
                        http.get(a.json()["status_url"]).json()["status"] == "processed"
                    ),
                    60,
                    f"night {night} processed",
                )
        wait_for(lambda: bool(slack.parents(SLACK_CHANNEL)), 60, "the Slack parent")
        (alert,) = http.get("/api/v1/alerts").json()["items"]
        detail = http.get(f"/api/v1/alerts/{alert['id']}").json()
        tp4 = next(c["series_id"] for c in detail["changes"] if c["config"]["tp"] == 4)

        def said_as_trade() -> bool:
            (parent,) = slack.parents(SLACK_CHANNEL)
            return any(line.startswith("Trade:") for line in parent.text.splitlines())

        wait_for(said_as_trade, 60, "the parent edited to tell of the trade")
        alert = http.get(f"/api/v1/alerts/{alert['id']}").json()

    assert alert["state"] == "untriaged"
    (parent,) = slack.parents(SLACK_CHANNEL)
    (trade_line,) = [line for line in parent.text.splitlines() if line.startswith("Trade:")]
    assert f"TP4 (series {tp4}): +" in trade_line
    assert " tput/GPU at 35 tok/s/user, p99 TTFT +" in trade_line
    assert trade_line.endswith("— not an improvement")
    assert "series traded (+" in alert["summary"]
