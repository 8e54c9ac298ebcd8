"""The fault drill: the production shape (API, a Celery worker and beat, each a real process, on a
Postgres cluster and a Redis of the test's own) takes two engines' nightly posts spread over
about 40 s while the worker is SIGKILLed twice, Redis stops and starts, Postgres restarts, and
the Slack stand-in answers 429 to every fifth call and 500 to every seventh. Afterwards: no
submission lost, none stored or processed into duplicate rows, no Slack message posted twice,
no answer 500 (503s are fine), and everything processed and delivered within 60 s of the last
fault without a human — the supervisor's restart of a killed worker aside, as compose does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import make_token
from tests.support.alert_history import MI355X_FP8, history_bodies
from tests.support.own_services import own_postgres, own_redis
from tests.support.services import TRACKER, tracker_server
from tests.support.slack_stand_in import SlackStandIn
from tracker import models
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.runtime.client import ClientSettings, post_submission, tracker_client
from tracker.vocabulary import SubmissionStatus, TokenScope

pytestmark = pytest.mark.slow

POSTGRES_PORT = 5442
REDIS_PORT = 6382
CHANNEL = "C0DRILL"
POST_EVERY_S = 1.4
RECOVERY_LIMIT_S = 60.0
CONFIGS = MI355X_FP8[:3]
ROWS_PER_CONFIG = 7  # tests.support.builders.synthetic_rows
ACCESS_LOG_STATUS = re.compile(r'"[A-Z]+ \S+ HTTP/1\.1" (\d{3})')


class Worker:
    """`tracker worker`, which the test kills with SIGKILL and starts again, as a supervisor
    (compose's `restart: unless-stopped`) would."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self._env = {**os.environ, **env}
        self._log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with (self._log_dir / f"worker-{self.starts}.log").open("wb") as log:
            self._process = subprocess.Popen(
                [TRACKER, "worker", "--concurrency", "2"],
                env=self._env,
                cwd=self._log_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL to the worker and its pool: no warm shutdown, tasks die mid-way."""
        assert self._process is not None and self._process.poll() is None, "worker not running"
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()


def _bodies() -> list[dict[str, Any]]:
    """Fourteen nights of two engines, interleaved night by night: a regression of sglang and a
    gain of vllm at night 6, on three configs each."""
    sglang = history_bodies(engine="sglang", configs=CONFIGS, nights=14, steps={6: 0.85})
    vllm = history_bodies(engine="vllm", configs=CONFIGS, nights=14, steps={6: 1.2}, seed=11)
    return [body for night in zip(sglang, vllm, strict=True) for body in night]


def test_the_fault_drill(tmp_path: Path) -> None:
    bodies = _bodies()
    with (
        own_postgres(POSTGRES_PORT) as postgres,
        own_redis(REDIS_PORT, tmp_path) as broker,
        SlackStandIn(token="xoxb-drill") as slack,
    ):
        slack.fault_every(5, status=429, headers={"Retry-After": "1"})
        slack.fault_every(7, status=500)
        database_url = postgres.create_database("tracker")
        migrations.upgrade(database_url)
        engine = create_db_engine(database_url)
        factory = make_sessionmaker(engine)
        token = make_token(factory, TokenScope.SUBMIT)
        env = {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_BROKER_URL": broker.url,
            "TRACKER_STALE_SUBMISSION_SECONDS": "10",
            "TRACKER_ALERT_SETTLE_SECONDS": "0",
            "TRACKER_SLACK_TOKEN": "xoxb-drill",
            "TRACKER_SLACK_CHANNEL": CHANNEL,
            "TRACKER_SLACK_API_URL": slack.base_url,
        }
        worker = Worker(env, tmp_path)
        worker.start()
        beat = subprocess.Popen(
            [TRACKER, "beat"],
            env={**os.environ, **env},
            cwd=tmp_path,
            stdout=(tmp_path / "beat.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            with tracker_server(env, tmp_path) as api:
                answers = _drill(api, token, bodies, worker, broker, postgres)
                recovery_s = _wait_for_recovery(api, factory, len(bodies))
        finally:
            worker.stop()
            os.killpg(beat.pid, signal.SIGTERM)
            beat.wait(timeout=20)

        print(f"fault drill: {len(bodies)} posts, recovered {recovery_s:.1f} s after the last post")
        assert len(set(answers.values())) == len(bodies)  # one submission per post
        assert recovery_s < RECOVERY_LIMIT_S
        access_log = (tmp_path / "serve.log").read_text()
        served = Counter(int(status) for status in ACCESS_LOG_STATUS.findall(access_log))
        assert [status for status in served if status >= 500 and status != 503] == [], served
        print(f"fault drill: answers by status {dict(sorted(served.items()))}")
        _assert_nothing_lost_or_doubled(factory, bodies)
        _assert_no_message_twice(slack)
        engine.dispose()


def _drill(
    api: str,
    token: str,
    bodies: list[dict[str, Any]],
    worker: Worker,
    broker: Any,
    postgres: Any,
) -> dict[str, int]:
    """Post on a steady pace from a thread while the faults happen on this one; the submission
    id each post was answered with, by run key (the client retries 503s and connection
    errors, and answers only 200 or 202)."""
    answers: dict[str, int] = {}
    failures: list[BaseException] = []
    start = time.monotonic()

    def post_all() -> None:
        settings = ClientSettings(url=api, token=token, retry_seconds=90)
        with tracker_client(settings) as client:
            for index, body in enumerate(bodies):
                time.sleep(max(0.0, start + index * POST_EVERY_S - time.monotonic()))
                try:
                    answer = post_submission(client=client, body=body)
                except BaseException as error:  # reported by the main thread
                    failures.append(error)
                    return
                answers[body["source"]["run_key"]] = answer["id"]

    poster = threading.Thread(target=post_all)
    poster.start()
    faults = [
        (5.0, worker.kill),
        (6.0, worker.start),
        (12.0, broker.stop),
        (18.0, broker.start),
        (22.0, worker.kill),
        (23.0, worker.start),
        (28.0, postgres.stop),
        (31.0, postgres.start),
    ]
    for at_s, fault in faults:
        time.sleep(max(0.0, start + at_s - time.monotonic()))
        fault()
    poster.join(timeout=180)
    assert not poster.is_alive(), "the posts did not finish"
    assert failures == [], failures
    assert len(answers) == len(bodies)
    return answers


def _wait_for_recovery(api: str, factory: Any, posts: int) -> float:
    """Seconds from the last post until every submission is processed and every alert of both
    engines has its Slack message sent."""
    last_post = time.monotonic()
    deadline = last_post + RECOVERY_LIMIT_S + 30
    with httpx.Client(base_url=api, timeout=10) as client:
        while time.monotonic() < deadline:
            with factory() as session:
                processed = session.scalar(
                    select(func.count())
                    .select_from(models.Submission)
                    .where(models.Submission.status == SubmissionStatus.PROCESSED)
                )
            alerts = client.get("/api/v1/alerts").json()["items"]
            engines = {alert["engine"] for alert in alerts}
            delivered = all(
                alert["deliveries"]
                and all(delivery["status"] == "sent" for delivery in alert["deliveries"])
                for alert in alerts
            )
            if processed == posts and engines == {"sglang", "vllm"} and delivered:
                return time.monotonic() - last_post
            time.sleep(1)
    raise AssertionError(
        f"not recovered {RECOVERY_LIMIT_S + 30:.0f} s after the last post: {processed} of "
        f"{posts} processed, alerts {[(a['engine'], a['deliveries']) for a in alerts]}"
    )


def _assert_nothing_lost_or_doubled(factory: Any, bodies: list[dict[str, Any]]) -> None:
    with factory() as session:
        run_keys = session.scalars(select(models.SourceRun.run_key)).all()
        assert sorted(run_keys) == sorted(body["source"]["run_key"] for body in bodies)
        assert session.scalar(select(func.count()).select_from(models.Submission)) == len(bodies)
        sweeps = session.execute(select(models.Sweep.source_run_id, models.Sweep.config_id)).all()
        assert len(sweeps) == len(set(sweeps)) == len(bodies) * len(CONFIGS)
        rows = session.scalar(select(func.count()).select_from(models.ResultRow))
        assert rows == len(bodies) * len(CONFIGS) * ROWS_PER_CONFIG
        changes = session.execute(
            select(models.ChangePoint.track_id, models.ChangePoint.sweep_id).where(
                models.ChangePoint.state == "confirmed"
            )
        ).all()
        assert changes and len(changes) == len(set(changes))


def _assert_no_message_twice(slack: SlackStandIn) -> None:
    keys = []
    for message in slack.messages(CHANNEL):
        payload = (message.metadata or {}).get("event_payload") or {}
        if payload:
            keys.append(("alert", payload.get("alert_id"), payload.get("part")))
        else:
            keys.append(("text", message.thread_ts, message.text))
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    assert keys and repeated == [], repeated
    assert len(slack.calls()) >= 7  # so both faults were answered at least once
