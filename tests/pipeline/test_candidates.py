"""Candidates through the production shape (API → Postgres → Redis → a real Celery worker): 30
tracked nights, then pull requests' runs made of the last night's rows, judged by their verdicts,
while the history, its changes and its alerts stay as they were."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support.candidates import (
    FLEET,
    NOISY,
    QUIET,
    candidate_body,
    night_rows,
    nightly_body,
    scaled,
    throughput_items,
)
from tests.support.services import tracker_process, wait_for
from tracker import models
from tracker.api.app import create_app
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.pipeline.scheduler import CeleryScheduler, celery_client
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

BROKER_URL = f"{REDIS_URL}/10"
NIGHTS = 30


@pytest.fixture
def stack(scratch_databases: ScratchDatabases, tmp_path: Path) -> Iterator[dict[str, Any]]:
    database_url = scratch_databases.create()
    redis.Redis.from_url(BROKER_URL).flushdb()
    env = {
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_BROKER_URL": BROKER_URL,
        "TRACKER_ALERT_SETTLE_SECONDS": "0",
    }
    settings = Settings(database_url=database_url, broker_url=BROKER_URL)
    engine = create_db_engine(database_url)
    factory = make_sessionmaker(engine)
    token = make_token(factory, TokenScope.SUBMIT)
    app = create_app(
        settings, session_factory=factory, scheduler=CeleryScheduler(celery_client(BROKER_URL))
    )
    with (
        tracker_process(
            ["worker", "--concurrency", "2"], env, tmp_path / "worker.log", cwd=tmp_path
        ),
        TestClient(app) as client,
    ):
        yield {
            "client": client,
            "factory": factory,
            "headers": {"Authorization": f"Bearer {token}"},
            "logs": tmp_path,
        }
    engine.dispose()


def _post(stack: dict[str, Any], body: dict[str, Any]) -> int:
    response = stack["client"].post("/api/v1/submissions", json=body, headers=stack["headers"])
    assert response.status_code == 202, response.text
    submission_id: int = response.json()["id"]
    return submission_id


def _processed(stack: dict[str, Any], submission_id: int) -> None:
    client: TestClient = stack["client"]
    wait_for(
        lambda: client.get(f"/api/v1/submissions/{submission_id}").json()["status"] == "processed",
        60,
        f"submission {submission_id} processed (worker log in {stack['logs']})",
    )


def _verdict(stack: dict[str, Any], submission_id: int) -> dict[str, Any]:
    _processed(stack, submission_id)
    response = stack["client"].get(f"/api/v1/submissions/{submission_id}/verdict")
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


def _history_reads(client: TestClient) -> dict[str, Any]:
    paths = ["/api/v1/series", "/api/v1/changes", "/api/v1/alerts"]
    paths.append("/api/v1/digest?days=30&until=2026-07-02")
    series_ids = [item["id"] for item in client.get("/api/v1/series").json()["items"]]
    for series_id in series_ids:
        paths.append(f"/api/v1/series/{series_id}/sweeps")
        for target in ("35", "75", "125"):
            paths.append(f"/api/v1/series/{series_id}/trend?interactivity={target}")
    return {path: client.get(path).json() for path in paths}


def _stored_counts(stack: dict[str, Any]) -> dict[str, int]:
    with stack["factory"]() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (
                models.Track,
                models.ChangePoint,
                models.Alert,
                models.AlertDelivery,
                models.FrontierValue,
            )
        }


def test_candidates_are_judged_and_the_history_is_untouched(stack: dict[str, Any]) -> None:
    client: TestClient = stack["client"]
    for night in range(NIGHTS):
        _post(stack, nightly_body(night_rows(FLEET, NIGHTS, night), night))
    with stack["factory"]() as session:
        ids = list(session.execute(select(models.Submission.id)).scalars())
    for submission_id in ids:
        _processed(stack, submission_id)
    wait_for(
        lambda: bool(client.get("/api/v1/alerts").json()["items"]),
        60,
        f"the alert of the night-15 gain (worker log in {stack['logs']})",
    )
    before = _history_reads(client)
    counts_before = _stored_counts(stack)
    assert before["/api/v1/changes"]["items"] and counts_before["alerts"] >= 1
    hardware = {
        item["id"]: item["config"]["hardware"] for item in before["/api/v1/series"]["items"]
    }
    last = night_rows(FLEET, NIGHTS, NIGHTS - 1)

    # Re-measured within the noise: each quiet series at a new draw of its own noise.
    rng = random.Random(29)
    remeasured: list[dict[str, Any]] = []
    for plan in FLEET:
        if plan.noise == QUIET:
            where = {"hw": plan.hardware, "model": plan.model}
            rows = [row for row in last if all(row[k] == v for k, v in where.items())]
            remeasured += scaled(rows, 1 + rng.gauss(0, QUIET))
    within = _post(
        stack,
        candidate_body(
            remeasured, pull_request=501, commit="5e1f000501", night=NIGHTS - 1, run_key="pr501"
        ),
    )
    gpu_drop = _post(
        stack,
        candidate_body(
            scaled(last, 0.88, where={"hw": "b200"}),
            pull_request=502,
            commit="5e1f000502",
            night=NIGHTS - 1,
            run_key="pr502",
        ),
    )
    noisy_plan = next(plan for plan in FLEET if plan.noise == NOISY)
    noisy_rows = [row for row in last if row["hw"] == noisy_plan.hardware]
    small_on_noisy = _post(
        stack,
        candidate_body(
            scaled(noisy_rows, 0.98),
            pull_request=503,
            commit="5e1f000503",
            night=NIGHTS - 1,
            run_key="pr503",
        ),
    )

    unchanged = _verdict(stack, within)
    assert unchanged["verdict"] == "unchanged"
    assert unchanged["items"] and {i["verdict"] for i in unchanged["items"]} == {"unchanged"}

    regressed = _verdict(stack, gpu_drop)
    assert regressed["verdict"] == "regression"
    b200_items = {
        (i["series_id"], i["metric"], i["interactivity"])
        for i in throughput_items(regressed["items"])
        if hardware[i["series_id"]] == "b200"
    }
    regression_items = {
        (i["series_id"], i["metric"], i["interactivity"])
        for i in regressed["items"]
        if i["verdict"] == "regression"
    }
    assert b200_items and regression_items == b200_items
    assert regressed["counts"]["regression"] == len(b200_items)
    assert all(
        i["verdict"] == "unchanged"
        for i in regressed["items"]
        if hardware[i["series_id"]] == "mi355x"
    )

    inconclusive = _verdict(stack, small_on_noisy)
    assert inconclusive["verdict"] == "inconclusive"
    assert {i["verdict"] for i in throughput_items(inconclusive["items"])} == {"inconclusive"}

    assert _history_reads(client) == before
    assert _stored_counts(stack) == counts_before
