"""Bisection end to end: `tracker serve` and a real Celery worker, a local stand-in of GitHub's
REST API whose workflow dispatches post a run back to the tracker, as the engine's CI would, and
a local Slack stand-in. The culprit is hidden in the stand-in's history."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alerts.jobs import run_alert_grouping
from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support.alert_history import MI355X_FP8, post_history
from tests.support.builders import nightly_levels, synthetic_body, synthetic_rows
from tests.support.github_stand_in import Dispatch, GitHubStandIn
from tests.support.services import free_port, tracker_process, wait_for
from tests.support.slack_stand_in import SlackStandIn
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

BROKER_URL = f"{REDIS_URL}/9"
GITHUB_TOKEN = "ghp_stand_in"
SLACK_TOKEN = "xoxb-stand-in"
SLACK_CHANNEL = "C0ALERTS"
REPOSITORY = "sgl-project/sglang"
STEP_NIGHT = 20
CONFIGS = [
    {"hardware": "mi355x", "precision": "fp8", "isl": 1024, "osl": 1024, "tp": 8},
    {"hardware": "mi355x", "precision": "fp8", "isl": 8192, "osl": 1024, "tp": 8},
]


def sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


def history_between(commits: int) -> list[tuple[str, str]]:
    """The repository's history: the commit of night 19, ``commits - 1`` merges, then the commit
    of night 20 (the last of the range)."""
    merges = [(sha(f"merge {i}"), f"Change {i} (#{10_000 + i})") for i in range(commits - 1)]
    return [
        (f"{STEP_NIGHT - 1:04d}abcdef", "Nightly 19"),
        *merges,
        (f"{STEP_NIGHT:04d}abcdef", "Nightly 20"),
    ]


class EngineCi:
    """The engine's CI as the stand-in's dispatches start it: benchmarks the asked commit on
    the asked configs and posts the run back — at the old level before the hidden culprit,
    at the new one from it on, with noise; optionally an unclear run at one commit, once."""

    def __init__(self, *, url: str, token: str, history: list[tuple[str, str]], culprit: int):
        self.url = url
        self.token = token
        self.commits = [commit for commit, _ in history[1:]]
        self.culprit = culprit
        self.unclear_once: str | None = None
        self.runs = 0
        self._random = random.Random(5)

    def __call__(self, dispatch: Dispatch) -> None:
        commit = dispatch.inputs["commit"]
        index = self.commits.index(commit)
        level = 0.9 if index >= self.culprit else 1.0
        if commit == self.unclear_once:
            self.unclear_once, level = None, 0.95
        self.runs += 1
        results = []
        for config in json.loads(dispatch.inputs["configs"]):
            noisy = level * (1 + self._random.gauss(0, 0.005))
            results.extend(
                synthetic_rows(
                    hardware=config["hardware"],
                    framework=config["framework"],
                    precision=config["precision"],
                    model=config["model"],
                    isl=config["isl"],
                    osl=config["osl"],
                    tp=config["tp"],
                    level=noisy,
                )
            )
        body = {
            "source": {
                "engine": "sglang",
                "commit": commit,
                "run_key": f"bisect:{dispatch.inputs['bisect_id']}:{commit}:{self.runs}",
                "timestamp": datetime.now(UTC).isoformat(),
            },
            "purpose": "bisect",
            "bisect_id": int(dispatch.inputs["bisect_id"]),
            "results": results,
        }
        answer = httpx.post(
            f"{self.url}/api/v1/submissions",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text


@pytest.fixture
def service(scratch_databases: ScratchDatabases, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """API, worker, GitHub and Slack stand-ins, on a database of their own."""
    database_url = scratch_databases.create()
    redis.Redis.from_url(BROKER_URL).flushdb()
    engine = create_db_engine(database_url)
    factory = make_sessionmaker(engine)
    submit = make_token(factory, TokenScope.SUBMIT)
    triage = make_token(factory, TokenScope.TRIAGE, name="alice")
    url = f"http://127.0.0.1:{free_port()}"
    with GitHubStandIn(token=GITHUB_TOKEN) as github, SlackStandIn(token=SLACK_TOKEN) as slack:
        env = {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_BROKER_URL": BROKER_URL,
            "TRACKER_ALERT_SETTLE_SECONDS": "0",
            "TRACKER_GITHUB_TOKEN": GITHUB_TOKEN,
            "TRACKER_GITHUB_API_URL": github.base_url,
            "TRACKER_BISECT_WORKFLOWS": json.dumps({"sglang": {"workflow": "bisect.yml"}}),
            "TRACKER_BISECT_RETRY_SECONDS": "1",
            "TRACKER_SLACK_TOKEN": SLACK_TOKEN,
            "TRACKER_SLACK_API_URL": slack.base_url,
            "TRACKER_SLACK_CHANNEL": SLACK_CHANNEL,
        }
        serve = ["serve", "--port", url.rsplit(":", 1)[1]]
        with (
            tracker_process(serve, env, tmp_path / "api.log", cwd=tmp_path),
            tracker_process(["worker", "--concurrency", "2"], env, tmp_path / "worker.log"),
        ):
            wait_for(lambda: _answers(url), 60, "the API")
            yield {
                "url": url,
                "submit": submit,
                "triage": triage,
                "github": github,
                "slack": slack,
            }
    engine.dispose()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def post_nightly_history(service: dict[str, Any]) -> dict[str, Any]:
    """26 nights of two configs with a 10 % regression on night 20; the alert it makes."""
    levels = [nightly_levels(26, steps={STEP_NIGHT: 0.9}, seed=3 + i) for i in range(2)]
    headers = {"Authorization": f"Bearer {service['submit']}"}
    with httpx.Client(base_url=service["url"], headers=headers, timeout=60) as http:
        for night in range(26):
            body = synthetic_body(
                engine="sglang", night=night, level=levels[0][night], **CONFIGS[0]
            )
            body["results"] += synthetic_body(
                engine="sglang", night=night, level=levels[1][night], **CONFIGS[1]
            )["results"]
            answer = http.post("/api/v1/submissions", json=body)
            assert answer.status_code == 202, answer.text
            wait_for(
                lambda a=answer: http.get(a.json()["status_url"]).json()["status"] == "processed",
                60,
                f"night {night} processed",
            )
        wait_for(lambda: len(http.get("/api/v1/alerts").json()["items"]) == 1, 60, "the alert")
        (alert,) = http.get("/api/v1/alerts").json()["items"]
    assert alert["commit_range"]["from"] == f"{STEP_NIGHT - 1:04d}abcdef"
    assert alert["commit_range"]["to"] == f"{STEP_NIGHT:04d}abcdef"
    return dict(alert)


def what_users_read(http: httpx.Client, series_ids: list[int]) -> dict[str, Any]:
    """Everything a bisection's runs must leave as it was."""
    return {
        "changes": sorted(c["id"] for c in http.get("/api/v1/changes?limit=1000").json()["items"]),
        "alerts": sorted(a["id"] for a in http.get("/api/v1/alerts").json()["items"]),
        "trends": [
            http.get(f"/api/v1/series/{s}/trend?interactivity=35").json()["points"]
            for s in series_ids
        ],
        "sweeps": [
            [w["id"] for w in http.get(f"/api/v1/series/{s}/sweeps?limit=1000").json()["items"]]
            for s in series_ids
        ],
        "latest": [item["latest"] for item in http.get("/api/v1/series").json()["items"]],
    }


def bisect(service: dict[str, Any], alert_id: int) -> dict[str, Any]:
    """Start the bisection as triage would, and wait for it to end."""
    with httpx.Client(base_url=service["url"], timeout=60) as http:
        started = http.post(
            f"/api/v1/alerts/{alert_id}/bisect",
            headers={"Authorization": f"Bearer {service['triage']}"},
        )
        assert started.status_code == 202, started.text
        assert started.json()["state"] == "listing"

        def ended() -> bool:
            state = http.get(f"/api/v1/alerts/{alert_id}").json()["bisection"]["state"]
            return state not in ("listing", "running")

        wait_for(ended, 240, "the bisection to end", 0.5)
        detail: dict[str, Any] = http.get(f"/api/v1/alerts/{alert_id}").json()
    return detail


def test_the_culprit_among_forty_commits_is_found_in_six_runs_each_dispatched_once(
    service: dict[str, Any],
) -> None:
    history = history_between(40)
    github: GitHubStandIn = service["github"]
    github.histories[REPOSITORY] = history
    culprit = 27
    ci = EngineCi(url=service["url"], token=service["submit"], history=history, culprit=culprit)
    github.on_dispatch = ci
    alert = post_nightly_history(service)
    with httpx.Client(base_url=service["url"], timeout=60) as http:
        series_ids = [item["id"] for item in http.get("/api/v1/series").json()["items"]]
        before = what_users_read(http, series_ids)
    github.plan("dispatch", status=500)  # GitHub refuses the first dispatch twice…
    github.plan("dispatch", status=422)

    detail = bisect(service, alert["id"])
    bisection = detail["bisection"]
    assert bisection["state"] == "found", bisection
    assert bisection["culprit"]["sha"] == history[1 + culprit][0]
    assert bisection["culprit"]["pull_request"] == 10_000 + culprit
    assert bisection["runs_used"] <= 6
    assert len(bisection["steps"]) == bisection["runs_used"]
    # …which is tried again with backoff, and no step is ever dispatched twice.
    assert len(github.refused()) == 2
    assert len(github.dispatches()) == len(bisection["steps"]) == ci.runs
    assert all(step["state"] == "answered" for step in bisection["steps"])

    with httpx.Client(base_url=service["url"], timeout=60) as http:
        assert what_users_read(http, series_ids) == before
    slack: SlackStandIn = service["slack"]
    wait_for(
        lambda: any("Culprit:" in p.text for p in slack.parents(SLACK_CHANNEL)),
        60,
        "the Slack parent to name the culprit",
    )
    (parent,) = slack.parents(SLACK_CHANNEL)
    assert f"Culprit: {history[1 + culprit][0][:7]} (PR #{10_000 + culprit} " in parent.text
    page = httpx.get(f"{service['url']}/alerts/{alert['id']}", timeout=30).text
    assert "culprit" in page and history[1 + culprit][0][:12] in page


def test_an_unclear_run_is_run_once_more_and_the_search_goes_on(
    service: dict[str, Any],
) -> None:
    history = history_between(16)
    github: GitHubStandIn = service["github"]
    github.histories[REPOSITORY] = history
    culprit = 5
    ci = EngineCi(url=service["url"], token=service["submit"], history=history, culprit=culprit)
    ci.unclear_once = history[1 + 7][0]  # the first commit asked: halfway between the levels
    github.on_dispatch = ci
    alert = post_nightly_history(service)

    bisection = bisect(service, alert["id"])["bisection"]
    assert bisection["state"] == "found", bisection
    assert bisection["culprit"]["sha"] == history[1 + culprit][0]
    first, rerun = bisection["steps"][:2]
    assert (first["verdict"], first["rerun"]) == ("inconclusive", False)
    assert (rerun["commit"]["sha"], rerun["rerun"]) == (first["commit"]["sha"], True)
    assert rerun["verdict"] == "after"
    assert sum(step["rerun"] for step in bisection["steps"]) == 1


def test_without_a_token_nothing_is_dispatched_and_the_answer_says_why(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    run_alert_grouping(
        session_factory=session_factory,
        settings=Settings(
            database_url="postgresql+psycopg://unused/unused", alert_settle_seconds=0
        ),
    )
    (alert,) = client.get("/api/v1/alerts").json()["items"]
    triage = make_token(session_factory, TokenScope.TRIAGE)
    answer = client.post(
        f"/api/v1/alerts/{alert['id']}/bisect", headers={"Authorization": f"Bearer {triage}"}
    )
    assert answer.status_code == 409
    assert "not configured" in answer.json()["detail"]
    assert client.get(f"/api/v1/alerts/{alert['id']}").json()["bisection"] is None
