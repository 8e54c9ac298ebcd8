"""`tracker submit --pull-request N --gate` as a pull request's CI runs it, against a real server:
the verdict as a table, regressions first, and the exit code the job fails on."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.runtime.test_cli import USAGE, assert_explained, run_tracker, serving
from tests.support.candidates import FLEET, NOISY, QUIET, night_rows, nightly_body, scaled
from tests.support.services import free_port

NIGHTS = 30
OK, REGRESSION, INCONCLUSIVE = 0, 1, 3


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`tracker serve` (embedded default) holding 30 tracked nights of the fleet."""
    directory = tmp_path_factory.mktemp("gate")
    token = run_tracker(["tokens", "create", "ci"], directory).stdout.strip()
    with serving(directory, free_port()) as url:
        headers = {"Authorization": f"Bearer {token}"}
        for night in range(NIGHTS):
            body = nightly_body(night_rows(FLEET, NIGHTS, night), night)
            response = httpx.post(
                f"{url}/api/v1/submissions", json=body, headers=headers, timeout=60
            )
            assert response.status_code == 202, response.text
        yield {
            "env": {"TRACKER_URL": url, "TRACKER_TOKEN": token},
            "directory": directory,
            "last": night_rows(FLEET, NIGHTS, NIGHTS - 1),
        }


def _gate(tracked: dict[str, Any], rows: list[dict[str, Any]], name: str, *options: str) -> Any:
    path = tracked["directory"] / f"{name}.json"
    path.write_text(json.dumps(rows))
    return run_tracker(
        [
            "submit",
            str(path),
            "--engine",
            "sglang",
            "--timestamp",
            "2026-07-01T03:00:00Z",
            "--commit",
            hashlib.sha1(name.encode()).hexdigest()[:10],
            "--run-key",
            f"gate:{name}",
            *options,
        ],
        tracked["directory"],
        **tracked["env"],
    )


def _table_rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if "tok/s/user" in line]


def _throughput_rows(table: list[str]) -> list[str]:
    """The table's throughput rows (`scaled` leaves latency as the history had it)."""
    return [line for line in table if "tok/s/GPU" in line]


def test_a_regression_fails_the_gate_with_regressions_first(tracked: dict[str, Any]) -> None:
    rows = scaled(tracked["last"], 0.88, where={"hw": "b200"})
    result = _gate(tracked, rows, "b200-drop", "--pull-request", "321", "--gate")

    assert result.returncode == REGRESSION, result.stderr
    assert "Traceback" not in result.stderr
    assert "verdict: regression against main" in result.stdout
    table = _table_rows(result.stdout)
    b200 = [line for line in _throughput_rows(table) if "B200" in line]
    assert len(b200) == 20  # two models × two throughput metrics × five targets
    assert table[: len(b200)] == b200  # regressions first
    assert all("▼ regression" in line for line in b200)
    changes = [float(re.search(r"−(\d+\.\d) %", line)[1]) for line in b200]  # type: ignore[index]
    assert all(11.0 <= change <= 13.0 for change in changes)
    assert all("→" in line for line in table)  # baseline → candidate
    assert not any("regression" in line for line in table if "B200" not in line)


def test_a_run_within_the_noise_passes(tracked: dict[str, Any]) -> None:
    quiet = [plan.hardware for plan in FLEET if plan.noise == QUIET]
    rows = scaled([row for row in tracked["last"] if row["hw"] in quiet], 1.001)
    result = _gate(tracked, rows, "within", "--pull-request", "322", "--gate")

    assert result.returncode == OK, result.stderr
    assert "verdict: unchanged" in result.stdout
    assert all("unchanged" in line for line in _table_rows(result.stdout))


def test_an_inconclusive_verdict_exits_3_unless_fail_on_leaves_it_out(
    tracked: dict[str, Any],
) -> None:
    noisy = [plan.hardware for plan in FLEET if plan.noise == NOISY]
    rows = scaled([row for row in tracked["last"] if row["hw"] in noisy], 0.98)
    result = _gate(tracked, rows, "noisy", "--pull-request", "323", "--gate")

    assert result.returncode == INCONCLUSIVE, result.stderr
    assert "verdict: inconclusive" in result.stdout
    assert all("? inconclusive" in line for line in _throughput_rows(_table_rows(result.stdout)))

    again = _gate(
        tracked, rows, "noisy-lenient", "--pull-request", "324", "--gate", "--fail-on", "regression"
    )
    assert again.returncode == OK, again.stderr


def test_the_gate_json_is_the_verdict(tracked: dict[str, Any]) -> None:
    rows = scaled(tracked["last"], 0.88, where={"hw": "b200"})
    result = _gate(tracked, rows, "json", "--pull-request", "325", "--gate", "--json")

    assert result.returncode == REGRESSION, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "regression" and verdict["pull_request"] == 325


def test_bad_gate_options_are_refused_before_posting(tracked: dict[str, Any]) -> None:
    rows = tracked["last"][:7]
    no_candidate = _gate(tracked, rows, "bad-1", "--gate")
    assert_explained(no_candidate, USAGE, "--gate judges a candidate", "--pull-request")
    bad_fail_on = _gate(
        tracked, rows, "bad-2", "--pull-request", "9", "--gate", "--fail-on", "regresion"
    )
    assert_explained(bad_fail_on, USAGE, "--fail-on 'regresion'", "inconclusive")
    tracked_branch = _gate(tracked, rows, "bad-3", "--branch", "main", "--gate")
    assert_explained(tracked_branch, REGRESSION, "has no verdict", "not a candidate")


def test_the_base_commit_is_sent_and_judged_against(tracked: dict[str, Any]) -> None:
    rows = scaled(tracked["last"], 0.88, where={"hw": "b200"})
    base = nightly_body([], 10)["source"]["commit"]
    result = _gate(
        tracked, rows, "based", "--pull-request", "326", "--base-commit", base, "--gate", "--json"
    )

    assert result.returncode == REGRESSION, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["baseline"]["commit"] == base
    bad = _gate(
        tracked, rows, "bad-base", "--pull-request", "327", "--base-commit", "zzz", "--gate"
    )
    assert_explained(bad, REGRESSION, "rejected (422)", "source.base_commit")
