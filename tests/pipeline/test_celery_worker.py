"""End to end on the production shape: API → Postgres → Redis → a real Celery worker (and beat)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support.builders import gpt_oss_body, night_timestamp, nightly_levels, synthetic_body
from tests.support.services import tracker_process, wait_for
from tracker.api.app import create_app
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.pipeline.scheduler import CeleryScheduler, celery_client
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

BROKER_URL = f"{REDIS_URL}/11"
DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def stack(scratch_databases: ScratchDatabases, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A committed database of its own, a flushed Redis database, and a running worker."""
    database_url = scratch_databases.create()
    redis.Redis.from_url(BROKER_URL).flushdb()
    env = {
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_BROKER_URL": BROKER_URL,
        "TRACKER_STALE_SUBMISSION_SECONDS": "2",
    }
    settings = Settings(database_url=database_url, broker_url=BROKER_URL)
    engine = create_db_engine(database_url)
    factory = make_sessionmaker(engine)
    token = make_token(factory, TokenScope.SUBMIT)
    with tracker_process(
        ["worker", "--concurrency", "2"], env, tmp_path / "worker.log", cwd=tmp_path
    ):
        yield {
            "settings": settings,
            "session_factory": factory,
            "headers": {"Authorization": f"Bearer {token}"},
            "env": env,
            "logs": tmp_path,
        }
    engine.dispose()


def _client(stack: dict[str, Any], broker_url: str) -> TestClient:
    app = create_app(
        stack["settings"],
        session_factory=stack["session_factory"],
        scheduler=CeleryScheduler(celery_client(broker_url)),
    )
    return TestClient(app)


def _status(client: TestClient, answer: dict[str, Any]) -> str:
    status: str = client.get(answer["status_url"]).json()["status"]
    return status


def test_posted_sweep_is_processed_by_the_worker(stack: dict[str, Any]) -> None:
    with _client(stack, BROKER_URL) as client:
        answers = [
            client.post("/api/v1/submissions", json=body, headers=stack["headers"])
            for body in [gpt_oss_body()]
            + [synthetic_body(engine="sglang", night=n) for n in range(3)]
        ]
        assert [a.status_code for a in answers] == [202] * 4
        assert all(a.json()["status"] == "accepted" for a in answers)

        for answer in answers:
            wait_for(
                lambda answer=answer: _status(client, answer.json()) == "processed",
                60,
                f"submission {answer.json()['id']} processed (worker log in {stack['logs']})",
            )

        series = {
            item["config"]["framework"]: item
            for item in client.get("/api/v1/series").json()["items"]
        }
        sglang_trend = client.get(f"/api/v1/series/{series['sglang']['id']}/trend?interactivity=35")
        assert len(sglang_trend.json()["points"]) == 3
        gpt_oss_sweeps = client.get(f"/api/v1/series/{series['dynamo-trt']['id']}/sweeps").json()
        assert sorted(gpt_oss_sweeps["items"][0]["frontier"]["tput_per_gpu"]) == ["100", "50", "75"]


def test_a_submission_made_while_the_broker_is_down_is_picked_up_by_beat(
    stack: dict[str, Any],
) -> None:
    with _client(stack, DEAD_BROKER_URL) as client:
        response = client.post("/api/v1/submissions", json=gpt_oss_body(), headers=stack["headers"])
        assert response.status_code == 202  # stored; the enqueue failure is not the client's
        answer = response.json()
        assert _status(client, answer) == "accepted"

        with tracker_process(
            ["beat", "--schedule", str(stack["logs"] / "beat-schedule")],
            stack["env"],
            stack["logs"] / "beat.log",
            cwd=stack["logs"],
        ):
            wait_for(
                lambda: _status(client, answer) == "processed",
                60,
                f"beat to re-enqueue the submission (logs in {stack['logs']})",
            )


def test_a_backfill_is_processed_by_one_backfill_pass(stack: dict[str, Any]) -> None:
    levels = nightly_levels(40, steps={20: 0.85})
    with _client(stack, BROKER_URL) as client:
        answers = []
        for night, level in enumerate(levels):
            body = {**synthetic_body(engine="vllm", night=night, level=level), "backfill": True}
            response = client.post("/api/v1/submissions", json=body, headers=stack["headers"])
            assert response.status_code == 202
            answers.append(response.json())
        for answer in answers:
            wait_for(
                lambda answer=answer: _status(client, answer) == "processed",
                90,
                f"backfill {answer['id']} processed (worker log in {stack['logs']})",
            )
        found = client.get("/api/v1/changes?metric=tput_per_gpu&interactivity=35").json()["items"]
        assert [(c["run_timestamp"], c["direction"]) for c in found] == [
            (night_timestamp(20), "regression")
        ]
