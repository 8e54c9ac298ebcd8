"""The `tracker` command as CI and operators run it: a real process against a real server.

Expected failures (an unreachable tracker, its refusals, a missing database, bad files) end in a
line or two and a documented exit code, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.conftest import POSTGRES_ADMIN_URL, REDIS_URL, ScratchDatabases
from tests.support.builders import GPT_OSS_CONFIG
from tests.support.data import INFERENCEX_SAMPLES
from tests.support.services import TRACKER, free_port, tracker_process, wait_for

EMBEDDED_ENV = {"TRACKER_DATABASE_URL": "", "TRACKER_BROKER_URL": ""}
REFUSED, USAGE, UNAVAILABLE = 1, 2, 3


def run_tracker(arguments: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRACKER, *arguments],
        cwd=cwd,
        env={**os.environ, **EMBEDDED_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_explained(result: subprocess.CompletedProcess[str], code: int, *said: str) -> None:
    """Ended with ``code``, saying ``said`` in an error of a few lines on stderr (after any
    retries it announced), without a traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    error = result.stderr[result.stderr.find("error: ") :]
    assert error.startswith("error: ") and len(error.splitlines()) <= 4, result.stderr
    for words in said:
        assert words in result.stderr


def test_tokens_create_prints_the_token_alone_and_says_which_database(tmp_path: Path) -> None:
    result = run_tracker(["tokens", "create", "sglang-ci", "--scope", "submit"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    token = result.stdout.strip()
    assert token.startswith("ft_") and len(token) > 40
    database = tmp_path / ".tracker" / "tracker.db"
    assert f"embedded database {database}, created now" in result.stderr
    again = run_tracker(["tokens", "create", "sglang-ci"], tmp_path)
    assert_explained(again, REFUSED, "exists already")
    assert again.stdout == ""
    other = run_tracker(["tokens", "create", "vllm-ci"], tmp_path)
    assert f"embedded database {database};" in other.stderr
    assert "created now" not in other.stderr


def test_db_upgrade_against_a_database_that_does_not_exist(tmp_path: Path) -> None:
    missing = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/tracker_missing_{uuid.uuid4().hex[:8]}"
    result = run_tracker(["db", "upgrade"], tmp_path, TRACKER_DATABASE_URL=missing)
    assert_explained(result, UNAVAILABLE, "cannot use the database", "does not exist")
    tokens = run_tracker(["tokens", "create", "ci"], tmp_path, TRACKER_DATABASE_URL=missing)
    assert_explained(tokens, UNAVAILABLE, "does not exist")


def test_bad_settings_are_named(tmp_path: Path) -> None:
    result = run_tracker(["db", "upgrade"], tmp_path, TRACKER_CONFIRM_RUNS="three")
    assert_explained(result, USAGE, "TRACKER_CONFIRM_RUNS")


def test_the_command_line_loads_no_heavy_library_before_a_command_runs() -> None:
    """`tracker --help` stays fast because the commands import what they need when they run:
    the CLI module loads none of these, and `tracker submit`'s client no database code."""
    probe = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )

    def loaded(module: str) -> set[str]:
        result = subprocess.run(
            [sys.executable, "-c", probe, module], capture_output=True, text=True, check=True
        )
        return set(result.stdout.split())

    heavy = {"sqlalchemy", "scipy", "numpy", "fastapi", "celery", "alembic", "httpx", "pydantic"}
    assert loaded("tracker.runtime.cli") & heavy == set()
    assert loaded("tracker.runtime.client") & {"sqlalchemy", "scipy", "numpy", "fastapi"} == set()


@contextmanager
def serving(directory: Path, port: int) -> Iterator[str]:
    """`tracker serve` on the embedded default in ``directory``, answering /healthz; its URL."""
    url = f"http://127.0.0.1:{port}"
    log = directory / "serve.log"
    with tracker_process(
        ["serve", "--port", str(port)], EMBEDDED_ENV, log, cwd=directory
    ) as process:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, 30, "tracker serve to answer /healthz")
        yield url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`tracker serve` on the embedded default, in a scratch directory, with a submit token."""
    token = run_tracker(["tokens", "create", "ci"], tmp_path).stdout.strip()
    with serving(tmp_path, free_port()) as url:
        yield {"TRACKER_URL": url, "TRACKER_TOKEN": token}


def test_submit_raw_files_with_config_and_components(
    server: dict[str, str], tmp_path: Path
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(GPT_OSS_CONFIG))
    files = sorted(
        str(p)
        for p in (INFERENCEX_SAMPLES / "raw_benchmark_serving" / "gptoss-120b").glob("*.json")
    )

    result = run_tracker(
        [
            "submit",
            *files,
            "--engine",
            "dynamo-trt",
            "--timestamp",
            "2026-04-28T10:57:48Z",
            "--commit",
            "a88fcacf72",
            "--format",
            "benchmark-serving",
            "--config",
            str(config_file),
            "--component",
            "dynamo=0.6.1",
            "--component",
            "cuda=13.0",
            "--run-key",
            "github:ai-dynamo/dynamo:1208:1",
            "--wait",
            "--json",
        ],
        tmp_path,
        **server,
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "processed"
    assert answer["results"] == 8 and answer["series"] == 1
    series = httpx.get(f"{server['TRACKER_URL']}/api/v1/series").json()["items"]
    sweep = httpx.get(
        f"{server['TRACKER_URL']}/api/v1/sweeps/{series[0]['latest']['sweep_id']}"
    ).json()
    assert sweep["source"]["components"] == {"dynamo": "0.6.1", "cuda": "13.0"}
    assert sweep["source"]["run_key"] == "github:ai-dynamo/dynamo:1208:1"
    assert sorted(sweep["frontier"]["tput_per_gpu"]) == ["100", "50", "75"]


def test_submit_processed_rows_as_ci_would(server: dict[str, str], tmp_path: Path) -> None:
    files = sorted(str(p) for p in (INFERENCEX_SAMPLES / "fixed_seq_len_agg").glob("*.json"))
    result = run_tracker(
        [
            "submit",
            *files,
            "--engine",
            "vllm",
            "--timestamp",
            "2026-06-01T03:00:00+00:00",
            "--image",
            "vllm/vllm-openai-rocm:v0.21.0",
        ],
        tmp_path,
        **server,
    )
    assert result.returncode == 0, result.stderr
    assert "3 rows, 2 series" in result.stderr


def test_submit_reports_rejections_field_by_field(server: dict[str, str], tmp_path: Path) -> None:
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{"hw": "b200", "conc": 4, "tput_per_gpu": -1}]))
    result = run_tracker(
        [
            "submit",
            str(rows),
            "--engine",
            "trt",
            "--timestamp",
            "2026-06-01T03:00:00Z",
            "--commit",
            "abc",
        ],
        tmp_path,
        **server,
    )
    assert result.returncode == 1
    assert "rejected (422)" in result.stderr
    assert "results.0.tput_per_gpu" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--timestamp", "2026-06-01T03:00:00", "--commit", "abc"], "needs a time zone"),
        (["--timestamp", "yesterday", "--commit", "abc"], "not ISO 8601"),
        (["--timestamp", "2026-06-01T03:00:00Z"], "--commit or --image"),
        (
            ["--timestamp", "2026-06-01T03:00:00Z", "--commit", "a", "--component", "rocm"],
            "NAME=VERSION",
        ),
    ],
)
def test_submit_refuses_bad_options_before_posting(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"hw": "b200"}\n')
    result = run_tracker(["submit", str(rows), "--engine", "trt", *arguments], tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


SUBMIT = ["--engine", "vllm", "--timestamp", "2026-06-01T03:00:00Z", "--commit", "abc1234"]


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    """InferenceX processed rows of one vllm run (three points)."""
    found = sorted(str(p) for p in (INFERENCEX_SAMPLES / "fixed_seq_len_agg").glob("*.json"))
    merged = [json.loads(Path(path).read_text()) for path in found]
    path = tmp_path / "agg_bmk.json"
    path.write_text(json.dumps(merged))
    return path


def test_submit_to_a_tracker_that_is_not_there(rows: Path, tmp_path: Path) -> None:
    result = run_tracker(
        ["submit", str(rows), *SUBMIT],
        tmp_path,
        TRACKER_URL=f"http://127.0.0.1:{free_port()}",
        TRACKER_RETRY_SECONDS="1",
    )
    assert_explained(result, UNAVAILABLE, "cannot reach the tracker", "Connection refused")
    assert "trying again" in result.stderr


def test_submit_waits_for_a_tracker_that_comes_up(rows: Path, tmp_path: Path) -> None:
    """Connection errors are retried with backoff: a CI job that posts while the tracker
    restarts gets its submission in."""
    token = run_tracker(["tokens", "create", "ci"], tmp_path).stdout.strip()
    port = free_port()
    environment = {
        **os.environ,
        **EMBEDDED_ENV,
        "TRACKER_URL": f"http://127.0.0.1:{port}",
        "TRACKER_TOKEN": token,
        "TRACKER_RETRY_SECONDS": "120",
    }
    with subprocess.Popen(
        [TRACKER, "submit", str(rows), *SUBMIT, "--json"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as submitting:
        assert submitting.stderr is not None
        first_line = submitting.stderr.readline()
        assert "cannot be reached" in first_line and "trying again" in first_line
        with serving(tmp_path, port):
            stdout, stderr = submitting.communicate(timeout=120)
    assert submitting.returncode == 0, stderr
    assert json.loads(stdout)["status"] in {"accepted", "processed"}


class _Unavailable(BaseHTTPRequestHandler):
    """A tracker behind a proxy that answers 503 twice, then 202; it keeps every body."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        if len(self.bodies) <= 2:
            self.send_response(503)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<h1>503 Service Unavailable</h1>")
            return
        answer = {"id": 1, "status": "accepted", "results": 3, "series": 2, "status_url": "/x"}
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_submit_retries_503_with_the_same_body(rows: Path, tmp_path: Path) -> None:
    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    try:
        result = run_tracker(
            ["submit", str(rows), *SUBMIT, "--run-key", "ci:7:1"],
            tmp_path,
            TRACKER_URL=f"http://127.0.0.1:{stand_in.server_address[1]}",
            TRACKER_TOKEN="ft_test",
        )
    finally:
        stand_in.shutdown()
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("answered 503; trying again") == 2
    assert "submission 1: accepted (3 rows, 2 series)" in result.stderr
    first, *retries = _Unavailable.bodies
    assert len(retries) == 2 and all(body == first for body in retries)
    assert json.loads(first)["source"]["run_key"] == "ci:7:1"


def test_submit_explains_each_refusal(server: dict[str, str], rows: Path, tmp_path: Path) -> None:
    def submit(*extra: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_tracker(["submit", str(rows), *SUBMIT, *extra], tmp_path, **{**server, **env})

    assert_explained(submit(TRACKER_TOKEN=""), REFUSED, "(401)", "tracker tokens create")
    assert_explained(submit(TRACKER_TOKEN="ft_unknown"), REFUSED, "(401)", "not known")
    triage = run_tracker(["tokens", "create", "triager", "--scope", "triage"], tmp_path)
    assert_explained(
        submit(TRACKER_TOKEN=triage.stdout.strip()), REFUSED, "(403)", "lacks the 'submit' scope"
    )
    assert submit("--run-key", "ci:1:1").returncode == 0
    assert_explained(submit("--run-key", "ci:1:1", "--backfill"), REFUSED, "(409)", "run_key")
    assert_explained(
        submit(TRACKER_URL=server["TRACKER_URL"] + "/elsewhere"),
        UNAVAILABLE,
        "(404)",
        "TRACKER_URL",
    )
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps([{**json.loads(rows.read_text())[0], "tput_per_gpu": -1}]))
    rejected = run_tracker(["submit", str(invalid), *SUBMIT], tmp_path, **server)
    assert_explained(rejected, REFUSED, "rejected (422)", "results.0", "docs/formats.md")


def test_submit_of_a_file_that_is_not_json(tmp_path: Path) -> None:
    broken = tmp_path / "agg_bmk.json"
    broken.write_text('[{"hw": "b200",')
    result = run_tracker(["submit", str(broken), *SUBMIT], tmp_path)
    assert_explained(result, USAGE, "agg_bmk.json: neither JSON nor JSON lines")


@pytest.mark.slow
def test_serve_starts_two_api_processes_cleanly(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    """The production shape's `tracker serve --workers 2`: both processes start and none is
    killed as unresponsive (uvicorn's supervisor pings each spawned process; see
    `test_the_command_line_loads_no_heavy_library_before_a_command_runs`)."""
    environment = {
        "TRACKER_DATABASE_URL": scratch_databases.create(),
        "TRACKER_BROKER_URL": f"{REDIS_URL}/12",
    }
    port = free_port()
    log = tmp_path / "serve.log"
    arguments = ["serve", "--port", str(port), "--workers", "2"]
    with tracker_process(arguments, environment, log, cwd=tmp_path) as process:

        def both_started() -> bool:
            assert process.poll() is None, log.read_text()
            return log.read_text().count("Application startup complete") == 2

        wait_for(both_started, 120, "two API processes to start")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
        time.sleep(6)  # past the supervisor's first health pings
    output = log.read_text()
    assert "died" not in output and "Traceback" not in output, output
