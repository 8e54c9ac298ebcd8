"""An outage is a 503 with Retry-After, never a 500: a real `tracker serve` on a Postgres cluster
and a Redis of the test's own, stopped and started; `/healthz` names what is down, and
`tracker submit` rides the outage out with the same run key."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import make_token
from tests.support.data import INFERENCEX_SAMPLES
from tests.support.own_services import own_postgres, own_redis
from tests.support.services import TRACKER, tracker_server
from tracker import models
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

POSTGRES_PORT = 5441
REDIS_PORT = 6381
RUN_KEY = "github:vllm-project/vllm:4242:1"
SUBMIT = ["--engine", "vllm", "--timestamp", "2026-06-01T03:00:00Z", "--commit", "abc1234"]


def _rows(tmp_path: Path) -> Path:
    found = sorted((INFERENCEX_SAMPLES / "fixed_seq_len_agg").glob("*.json"))
    path = tmp_path / "agg_bmk.json"
    path.write_text(json.dumps([json.loads(p.read_text()) for p in found]))
    return path


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"


def test_an_outage_is_a_503_that_the_cli_rides_out(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    with own_postgres(POSTGRES_PORT) as postgres, own_redis(REDIS_PORT, tmp_path) as broker:
        database_url = postgres.create_database("tracker")
        migrations.upgrade(database_url)
        engine = create_db_engine(database_url)
        factory = make_sessionmaker(engine)
        token = make_token(factory, TokenScope.SUBMIT)
        env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_BROKER_URL": broker.url}
        auth = {"Authorization": f"Bearer {token}"}
        with tracker_server(env, tmp_path) as api:
            assert httpx.get(f"{api}/healthz").json()["down"] == []

            broker.stop()
            health = httpx.get(f"{api}/healthz", timeout=10)
            _assert_unavailable(health)
            assert health.json()["down"] == ["broker"]
            # The broker down at enqueue: stored and answered 202; beat picks it up later.
            accepted = subprocess.run(
                [TRACKER, "submit", str(rows), *SUBMIT, "--run-key", "before-the-outage"],
                env={**os.environ, "TRACKER_URL": api, "TRACKER_TOKEN": token},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert accepted.returncode == 0, accepted.stderr
            broker.start()

            postgres.stop()
            for path in ("/api/v1/series", "/api/v1/alerts/1", "/api/v1/changes", "/metrics"):
                _assert_unavailable(httpx.get(f"{api}{path}", timeout=10))
            _assert_unavailable(
                httpx.post(f"{api}/api/v1/submissions", content=b"{}", headers=auth, timeout=10)
            )
            health = httpx.get(f"{api}/healthz", timeout=10)
            _assert_unavailable(health)
            assert health.json()["down"] == ["database"]

            environment = {
                **os.environ,
                "TRACKER_URL": api,
                "TRACKER_TOKEN": token,
                "TRACKER_RETRY_SECONDS": "90",
            }
            with subprocess.Popen(
                [TRACKER, "submit", str(rows), *SUBMIT, "--run-key", RUN_KEY, "--json"],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ) as submitting:
                assert submitting.stderr is not None
                first_line = submitting.stderr.readline()
                assert "answered 503" in first_line and "trying again" in first_line
                postgres.start()
                stdout, stderr = submitting.communicate(timeout=120)
            assert submitting.returncode == 0, stderr
            answer = json.loads(stdout)
            assert answer["results"] == 3

            assert httpx.get(f"{api}/healthz").json()["down"] == []
            assert httpx.get(f"{api}/api/v1/series").status_code == 200
        with factory() as session:
            run_keys = session.scalars(select(models.SourceRun.run_key)).all()
            assert sorted(run_keys) == sorted(["before-the-outage", RUN_KEY])
            assert session.scalar(select(func.count()).select_from(models.Submission)) == 2
        engine.dispose()
