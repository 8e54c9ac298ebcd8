"""Stale configs, slow drift and rank flips end to end: the API, a real Celery worker that
processes every night and delivers through the real Slack client to the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support.builders import nightly_levels, synthetic_body
from tests.support.services import tracker_process, wait_for
from tests.support.slack_stand_in import RecordedMessage, SlackStandIn
from tracker.api.app import create_app
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.pipeline.scheduler import CeleryScheduler, celery_client
from tracker.pipeline.stages import Stage, run_stage
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

BROKER_URL = f"{REDIS_URL}/12"
SLACK_TOKEN = "xoxb-stale-and-drift"
CHANNEL = "C0ALERTS01"

KEPT = {"precision": "fp8", "tp": 8}  # goes on reporting
STOPPED = [{"precision": "fp4", "tp": 8}, {"precision": "fp4", "tp": 4}]  # stop after night 7
LAST_FULL_NIGHT = 7


@pytest.fixture
def stack(scratch_databases: ScratchDatabases, tmp_path: Path) -> Iterator[dict[str, Any]]:
    database_url = scratch_databases.create()
    redis.Redis.from_url(BROKER_URL).flushdb()
    engine = create_db_engine(database_url)
    factory = make_sessionmaker(engine)
    token = make_token(factory, TokenScope.SUBMIT)
    triage = make_token(factory, TokenScope.TRIAGE, name="alice")
    with SlackStandIn(token=SLACK_TOKEN) as slack:
        env = {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_BROKER_URL": BROKER_URL,
            "TRACKER_ALERT_SETTLE_SECONDS": "0",
            "TRACKER_SLACK_TOKEN": SLACK_TOKEN,
            "TRACKER_SLACK_API_URL": slack.base_url,
            "TRACKER_SLACK_CHANNEL": CHANNEL,
            # The slide's four steps add up to 7.8 %: a step threshold above that keeps the
            # detector from reporting them merged into one step (it does at the default 2 %).
            "TRACKER_MIN_RELATIVE_CHANGE": "0.08",
        }
        settings = Settings(
            database_url=database_url,
            broker_url=BROKER_URL,
            slack_channel=CHANNEL,
            alert_settle_seconds=0,
            min_relative_change=0.08,
        )
        app = create_app(
            settings,
            session_factory=factory,
            scheduler=CeleryScheduler(celery_client(BROKER_URL)),
        )
        with (
            tracker_process(
                ["worker", "--concurrency", "2"], env, tmp_path / "worker.log", cwd=tmp_path
            ),
            TestClient(app) as client,
        ):
            yield {
                "client": client,
                "slack": slack,
                "factory": factory,
                "settings": settings,
                "submit": {"Authorization": f"Bearer {token}"},
                "triage": {"Authorization": f"Bearer {triage}"},
                "logs": tmp_path,
            }
    engine.dispose()


def post_and_wait(stack: dict[str, Any], body: dict[str, Any]) -> None:
    client: TestClient = stack["client"]
    answer = client.post("/api/v1/submissions", json=body, headers=stack["submit"])
    assert answer.status_code == 202, answer.text
    wait_for(
        lambda: client.get(answer.json()["status_url"]).json()["status"] == "processed",
        60,
        f"submission {answer.json()['id']} processed (worker log in {stack['logs']})",
    )


def sglang_night(night: int, configs: list[dict[str, Any]]) -> dict[str, Any]:
    body = synthetic_body(engine="sglang", night=night, **configs[0])
    for config in configs[1:]:
        body["results"] += synthetic_body(engine="sglang", night=night, **config)["results"]
    body["source"]["run_key"] = f"test:sglang:{night}:{len(configs)}"
    return body


def check_stale(stack: dict[str, Any], stage: Stage = Stage.CHECK_STALE_CONFIGS) -> None:
    """A periodic check as beat triggers it; what it schedules (deliveries) goes to the worker."""
    run_stage(
        stage,
        session_factory=stack["factory"],
        settings=stack["settings"],
        scheduler=CeleryScheduler(celery_client(BROKER_URL)),
    )


def alerts(stack: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = stack["client"].get(f"/api/v1/alerts?kind={kind}").json()["items"]
    return items


def parent_of(slack: SlackStandIn, alert_id: int) -> RecordedMessage | None:
    return next(
        (
            message
            for message in slack.parents(CHANNEL)
            if (message.metadata or {}).get("event_payload", {}).get("alert_id") == alert_id
        ),
        None,
    )


def test_configs_that_stop_while_their_engine_goes_on_make_one_stale_alert_that_resolves(
    stack: dict[str, Any],
) -> None:
    slack: SlackStandIn = stack["slack"]
    for night in range(LAST_FULL_NIGHT + 1):
        post_and_wait(stack, sglang_night(night, [KEPT, *STOPPED]))
        post_and_wait(stack, synthetic_body(engine="vllm", night=night, tp=8))
    # From night 8 sglang posts one config of three; vllm posts nothing (paused entirely).
    for night in (8, 9):
        post_and_wait(stack, sglang_night(night, [KEPT]))
        check_stale(stack)
        assert alerts(stack, "stale") == [], f"stale after {night - LAST_FULL_NIGHT} missed runs"

    post_and_wait(stack, sglang_night(10, [KEPT]))  # the third missed run
    check_stale(stack)
    (alert,) = alerts(stack, "stale")  # one alert for both configs; none for vllm
    assert alert["engine"] == "sglang"
    assert alert["state"] == "untriaged"
    assert alert["series"] == 2
    assert alert["summary"] == (
        "2 configs of sglang stopped reporting after 2026-06-08: "
        "all deepseek-r1-0528 FP4 1k/1k single-node on MI355X"
    )
    wait_for(lambda: parent_of(slack, alert["id"]) is not None, 60, "the stale alert's parent")
    parent = parent_of(slack, alert["id"])
    assert parent is not None
    assert "stopped reporting after 2026-06-08" in parent.text
    check_stale(stack)  # a second look finds nothing new
    assert [a["id"] for a in alerts(stack, "stale")] == [alert["id"]]

    post_and_wait(stack, sglang_night(11, [KEPT, *STOPPED]))  # data returns
    check_stale(stack)
    (resolved,) = alerts(stack, "stale")
    assert resolved["state"] == "resolved"

    def resolution() -> list[RecordedMessage]:
        return [m for m in slack.replies(CHANNEL, parent.ts) if "resolved" in m.text]

    wait_for(lambda: len(resolution()) == 1, 60, "the resolution reply in the thread")
    assert "reported again" in resolution()[0].text
    (only_parent,) = slack.parents(CHANNEL)  # a reply and an edit, never a second parent
    assert only_parent.ts == parent.ts and only_parent.edits >= 1


def test_four_small_steps_a_week_apart_make_one_drift_alert_and_no_step_alert(
    stack: dict[str, Any],
) -> None:
    slack: SlackStandIn = stack["slack"]
    steps = {21: 0.98, 28: 0.98, 35: 0.98, 42: 0.98}
    levels = nightly_levels(50, steps=steps, noise=0.01, seed=11)
    for night, level in enumerate(levels):
        post_and_wait(stack, synthetic_body(engine="sglang", night=night, level=level))
    client: TestClient = stack["client"]
    wait_for(lambda: len(alerts(stack, "drift")) == 1, 60, "the drift alert")
    (drift,) = alerts(stack, "drift")
    assert alerts(stack, "step") == []
    assert client.get("/api/v1/changes").json()["items"] == []
    assert drift["engine"] == "sglang"
    assert "sglang on MI355X deepseek-r1-0528 FP8 1k/1k drifted −" in drift["summary"]
    steps_named = drift["details"]["tracks"][0]["steps"]
    assert steps_named and all(-0.05 < step["relative_change"] < 0 for step in steps_named)
    wait_for(lambda: parent_of(slack, drift["id"]) is not None, 60, "the drift alert's parent")
    parent = parent_of(slack, drift["id"])
    assert parent is not None and "below the threshold" in parent.text
    assert len(slack.parents(CHANNEL)) == 1  # one alert for the slice, however many tracks


def test_a_leader_that_is_overtaken_for_good_is_one_rank_alert_in_slack(
    stack: dict[str, Any],
) -> None:
    slack: SlackStandIn = stack["slack"]
    for night in range(12):
        post_and_wait(stack, synthetic_body(engine="atom", night=night, level=1.1))
        sglang_level = 1.0 if night < 8 else 1.2  # overtakes atom on night 8 and holds
        post_and_wait(stack, synthetic_body(engine="sglang", night=night, level=sglang_level))
        trt_level = 1.2 if night == 5 else 1.0  # overtakes atom for a single night
        post_and_wait(stack, synthetic_body(engine="trt", night=night, level=trt_level))
        check_stale(stack, Stage.CHECK_RANK_FLIPS)
    (alert,) = alerts(stack, "rank")
    assert alert["engine"] == "sglang"
    assert "now leads atom" in alert["summary"] and "trt" not in alert["summary"]
    wait_for(lambda: parent_of(slack, alert["id"]) is not None, 60, "the rank alert's parent")
    parent = parent_of(slack, alert["id"])
    assert parent is not None and "now leads atom" in parent.text
