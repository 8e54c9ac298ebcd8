"""The OpenAPI document against the running API: schemathesis, every check and every phase
(examples, coverage, fuzzing, stateful), a fixed seed and a random one, at least 10,000 requests
to a real `tracker serve` on real Postgres with a history in it (series, sweeps, change points,
alerts), must find nothing.

One check is narrowed for one operation: a submission's rows are validated by their `format`
(docs/formats.md), which the document describes only as objects, so a schema-valid body may be
refused; every other check runs on `POST /api/v1/submissions` too, and `not_a_server_error`
everywhere."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ScratchDatabases, make_token
from tests.support.alert_history import MI355X_FP8, post_history
from tests.support.services import tracker_server, wait_for
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.vocabulary import TokenScope

pytestmark = pytest.mark.slow

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
FIXED_SEED = 20261206
MAX_EXAMPLES = 100
"""Per operation and phase; tuned so the two runs send more than MIN_REQUESTS in all."""
MIN_REQUESTS = 10_000
CONFIG = """
# Every check is on by default (an explicit `--checks all` would override the narrowing below).
[[operations]]
include-path = "/api/v1/submissions"
include-method = "POST"
checks.positive_data_acceptance.enabled = false
"""
ACCESS_LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/1\.1" (?P<status>\d{3})')


def _answered(log: Path, after: int = 0) -> list[tuple[str, str, int]]:
    """Every request the server answered, from its access log (from byte ``after`` on):
    method, target, status."""
    with log.open("rb") as lines:
        lines.seek(after)
        text = lines.read().decode(errors="replace")
    return [
        (found["method"], found["target"], int(found["status"]))
        for found in ACCESS_LOG_LINE.finditer(text)
    ]


def test_the_fuzzer_finds_nothing(scratch_databases: ScratchDatabases, tmp_path: Path) -> None:
    database_url = scratch_databases.create()
    engine = create_db_engine(database_url)
    token = make_token(make_sessionmaker(engine), TokenScope.ADMIN)
    engine.dispose()
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_ALERT_SETTLE_SECONDS": "0"}
    with tracker_server(env, tmp_path) as api:
        with httpx.Client(base_url=api, timeout=60) as client:
            auth = {"Authorization": f"Bearer {token}"}
            post_history(
                client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=12, steps={6: 0.85}
            )
            wait_for(lambda: bool(client.get("/api/v1/alerts").json()["items"]), 60, "an alert")
            assert client.get("/api/v1/changes").json()["items"]
        (tmp_path / "schemathesis.toml").write_text(CONFIG)
        seeded = (tmp_path / "serve.log").stat().st_size
        seeds = [FIXED_SEED, random.randrange(2**32)]
        # One worker thread per run, the two runs side by side: hypothesis describes strategies
        # with `ast.parse`, which CPython 3.11 does not survive from two threads at once.
        runs = [
            subprocess.Popen(
                [
                    *(SCHEMATHESIS, "--config-file", str(tmp_path / "schemathesis.toml")),
                    *("run", f"{api}/openapi.json", "--no-color"),
                    *("--max-examples", str(MAX_EXAMPLES), "--seed", str(seed)),
                    *("--workers", "1", "--generation-database", "none"),
                    *("--header", f"Authorization: Bearer {token}"),
                ],
                cwd=tmp_path,
                stdout=(tmp_path / f"schemathesis-{seed}.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            for seed in seeds
        ]
        for seed, run in zip(seeds, runs, strict=True):
            run.wait(timeout=600)
            output = (tmp_path / f"schemathesis-{seed}.log").read_text()
            assert run.returncode == 0, f"seed {seed}:\n{output[-20000:]}"
            assert "Stateful" in output, output[-3000:]
    answered = _answered(tmp_path / "serve.log")
    fuzzed = [
        answer
        for answer in _answered(tmp_path / "serve.log", seeded)
        if answer[1] != "/openapi.json"
    ]
    print(f"schemathesis: {len(fuzzed)} requests answered over seeds {seeds}")
    assert len(fuzzed) >= MIN_REQUESTS
    assert [answer for answer in answered if answer[2] >= 500] == []
