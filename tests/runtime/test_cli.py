"""The `tracker` command as CI and operators run it: a real process against a real server."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.builders import GPT_OSS_CONFIG
from tests.support.data import INFERENCEX_SAMPLES
from tests.support.services import TRACKER, free_port, tracker_process, wait_for

EMBEDDED_ENV = {"TRACKER_DATABASE_URL": "", "TRACKER_BROKER_URL": ""}


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


def test_tokens_create_prints_the_token_alone(tmp_path: Path) -> None:
    result = run_tracker(["tokens", "create", "sglang-ci", "--scope", "submit"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    token = result.stdout.strip()
    assert token.startswith("ft_") and len(token) > 40
    again = run_tracker(["tokens", "create", "sglang-ci"], tmp_path)
    assert again.returncode == 1
    assert again.stdout == ""
    assert "exists already" in again.stderr


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`tracker serve` on the embedded default, in a scratch directory, with a submit token."""
    token = run_tracker(["tokens", "create", "ci"], tmp_path).stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tracker_process(
        ["serve", "--port", str(port)], EMBEDDED_ENV, tmp_path / "serve.log", cwd=tmp_path
    ) as process:

        def ready() -> bool:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, 30, "tracker serve to answer /healthz")
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
