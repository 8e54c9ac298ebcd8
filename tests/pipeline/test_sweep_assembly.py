"""InferenceX's one CI job per concurrency, posted per job under one sweep key, on the production
shape: `tracker serve` and a real Celery worker on Redis and Postgres. The jobs' rows assemble
into one sweep, processed once: when the collect job says `--final`, or after the quiet window."""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support import real_clients as files
from tests.support.independent import by_label, independent_frontier
from tests.support.services import TRACKER, tracker_process, tracker_server, wait_for
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.runtime.client import SourceOptions, build_submission
from tracker.settings import DEFAULT_INTERACTIVITY_TARGETS
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

BROKER_URL = f"{REDIS_URL}/13"
SWEEP_KEY = "github:SemiAnalysisAI/InferenceX:24601:1"
ASSEMBLED = "assembled sweep assembly"


@dataclass
class Stack:
    url: str
    token: str
    logs: Path

    def submit(self, *arguments: str | Path) -> subprocess.Popen[str]:
        """`tracker submit … --json` started as a CI job would run it (not waited for)."""
        return subprocess.Popen(
            [TRACKER, "submit", *map(str, arguments), "--json"],
            env={**os.environ, "TRACKER_URL": self.url, "TRACKER_TOKEN": self.token},
            cwd=self.logs,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def post(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/v1/submissions",
            content=json.dumps(body, allow_nan=True),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            timeout=60,
        )

    def get(self, path: str) -> Any:
        return httpx.get(f"{self.url}{path}", timeout=30).json()

    def statuses(self, submission_ids: list[int]) -> list[dict[str, Any]]:
        return [self.get(f"/api/v1/submissions/{i}") for i in submission_ids]

    def assemblies_done(self) -> int:
        return (self.logs / "worker.log").read_text().count(ASSEMBLED)


@pytest.fixture
def start_stack(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> Iterator[Callable[[float], Stack]]:
    """A database and Redis database of their own, `tracker serve` and `tracker worker` with
    the given assembly window."""
    with ExitStack() as processes:

        def start(window_s: float) -> Stack:
            database_url = scratch_databases.create()
            redis.Redis.from_url(BROKER_URL).flushdb()
            engine = create_db_engine(database_url)
            token = make_token(make_sessionmaker(engine), TokenScope.SUBMIT)
            engine.dispose()
            env = {
                "TRACKER_DATABASE_URL": database_url,
                "TRACKER_BROKER_URL": BROKER_URL,
                "TRACKER_SWEEP_ASSEMBLY_SECONDS": str(window_s),
            }
            processes.enter_context(
                tracker_process(
                    ["worker", "--concurrency", "2"], env, tmp_path / "worker.log", cwd=tmp_path
                )
            )
            return Stack(processes.enter_context(tracker_server(env, tmp_path)), token, tmp_path)

        yield start


def job_line(path: Path, *options: str, minute: int = 0) -> list[str]:
    """The per-job line of the README's CI section: each job posts its own agg file."""
    return [
        str(path),
        "--engine",
        "sglang",
        "--commit",
        "4f2c1e9b7d",
        "--timestamp",
        f"2026-11-20T03:{minute:02d}:00Z",
        "--sweep-key",
        SWEEP_KEY,
        *options,
    ]


def finished(process: subprocess.Popen[str]) -> tuple[int, dict[str, Any], str]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, json.loads(stdout) if process.returncode == 0 else {}, stderr


def expected_frontier() -> dict[str, dict[str, float]]:
    rows = files.json_rows(files.SINGLE_NODE)
    return {
        metric: by_label(
            independent_frontier(
                files.processed_points(rows, metric), DEFAULT_INTERACTIVITY_TARGETS
            )
        )
        for metric in ("tput_per_gpu", "output_tput_per_gpu")
    }


def assert_one_sweep_with_independent_values(stack: Stack) -> dict[str, Any]:
    (item,) = stack.get("/api/v1/series")["items"]
    (sweep,) = stack.get(f"/api/v1/series/{item['id']}/sweeps")["items"]
    assert [point["conc"] for point in sweep["points"]] == [4, 8, 16, 32, 64]
    assert sweep["source"]["sweep_key"] == SWEEP_KEY
    for metric, values in expected_frontier().items():
        assert sweep["frontier"][metric] == pytest.approx(values, rel=1e-12)
    trend = stack.get(f"/api/v1/series/{item['id']}/trend?interactivity=35")
    assert len(trend["points"]) == 1
    return sweep


def test_jobs_posted_concurrently_out_of_order_assemble_when_the_collect_job_says_final(
    start_stack: Callable[[float], Stack], tmp_path: Path
) -> None:
    stack = start_stack(600)  # a window no test waits for: only `--final` completes the sweep
    jobs = [32, 4, 64, 8]  # conc 16's job never posts: the collect job brings its row
    running = [stack.submit(*job_line(files.per_job_file(conc), minute=conc % 60)) for conc in jobs]
    running.append(stack.submit(*job_line(files.per_job_file(4), minute=59)))  # a re-run job
    answers = [finished(process) for process in running]
    assert [code for code, _, _ in answers] == [0] * 5, [stderr for *_, stderr in answers]
    assert sorted((a["results"], a["repeated"]) for _, a, _ in answers) == [(0, 1)] + [(1, 0)] * 4
    assert {a["status"] for _, a, _ in answers} == {"accepted"}  # waiting for the run to end

    other = files.json_rows(files.per_job_file(8))[0]
    other["tput_per_gpu"] *= 1.02
    conflicting = tmp_path / "agg_conc8_rerun.json"
    conflicting.write_text(json.dumps(other))
    code, _, stderr = finished(stack.submit(*job_line(conflicting)))
    assert code == 1
    message = " ".join(stderr.split())
    assert "rejected (409)" in message
    assert "the job of conc 8 for series" in message and "tput_per_gpu" in message

    code, collect, stderr = finished(stack.submit(*job_line(files.SINGLE_NODE, "--final")))
    assert code == 0, stderr
    assert (collect["results"], collect["repeated"]) == (1, 4)
    ids = [answer["id"] for _, answer, _ in answers] + [collect["id"]]
    wait_for(
        lambda: {s["status"] for s in stack.statuses(ids)} == {"processed"},
        60,
        f"the assembled sweep processed (worker log in {stack.logs})",
    )
    assert len({s["processed_at"] for s in stack.statuses(ids)}) == 1  # one transaction
    assert_one_sweep_with_independent_values(stack)
    assert stack.assemblies_done() == 1


def test_jobs_assemble_after_the_quiet_window_once_and_a_late_job_reopens_the_sweep(
    start_stack: Callable[[float], Stack],
) -> None:
    stack = start_stack(8)

    def body(conc: int, minute: int) -> dict[str, Any]:
        return build_submission(
            files=[files.per_job_file(conc)],
            source=SourceOptions(
                engine="sglang",
                timestamp=datetime(2026, 11, 20, 3, minute, tzinfo=UTC),
                commit="4f2c1e9b7d",
                sweep_key=SWEEP_KEY,
            ),
            result_format="inferencex",
            config=None,
        ).body

    bodies = [body(conc, minute=conc % 60) for conc in (4, 8, 32, 64)]
    bodies += [body(8, minute=8), body(32, minute=45)]  # the same post twice; a re-run job
    random.Random(7).shuffle(bodies)
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        responses = list(pool.map(stack.post, bodies))
    assert sorted(r.status_code for r in responses) == [200, 202, 202, 202, 202, 202]
    ids = {response.json()["id"] for response in responses}
    assert len(ids) == 5
    assert all(stack.get(f"/api/v1/submissions/{i}")["status"] == "accepted" for i in ids)

    wait_for(
        lambda: all(stack.get(f"/api/v1/submissions/{i}")["status"] == "processed" for i in ids),
        90,
        f"the sweep processed after the quiet window (worker log in {stack.logs})",
    )
    assert stack.assemblies_done() == 1
    (item,) = stack.get("/api/v1/series")["items"]
    (sweep,) = stack.get(f"/api/v1/series/{item['id']}/sweeps")["items"]
    assert [point["conc"] for point in sweep["points"]] == [4, 8, 32, 64]

    again = stack.post(body(4, minute=50))  # a job re-run after the sweep was processed
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["repeated"]) == ("processed", 1)

    late = stack.post(body(16, minute=16))  # the slow job: after the sweep was processed
    assert late.status_code == 202
    wait_for(
        lambda: stack.get(late.json()["status_url"])["status"] == "processed",
        90,
        f"the reopened sweep processed again (worker log in {stack.logs})",
    )
    assert stack.assemblies_done() == 2
    assert_one_sweep_with_independent_values(stack)
