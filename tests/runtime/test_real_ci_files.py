"""Every real client file posts with one `tracker submit` line, as engine CI would, against a real
`tracker serve` on Postgres, and yields the frontier values of an independent computation."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import ScratchDatabases, make_token
from tests.support import real_clients as files
from tests.support.independent import by_label, independent_frontier
from tests.support.services import TRACKER, tracker_server
from tracker import models
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.reads.pricing import PRICE_PER_GPU_HOUR
from tracker.runtime.client import (
    ClientSettings,
    SourceOptions,
    build_submission,
    post_submission,
    tracker_client,
)
from tracker.settings import DEFAULT_INTERACTIVITY_TARGETS
from tracker.vocabulary import TokenScope

TARGETS = DEFAULT_INTERACTIVITY_TARGETS
REL = 1e-12


@dataclass
class Submitted:
    code: int
    answer: dict[str, Any]
    stderr: str


@dataclass
class Tracker:
    url: str
    token: str
    database_url: str
    workdir: Path

    def submit(self, *arguments: str | Path) -> Submitted:
        """`tracker submit … --json`, as a CI job runs it."""
        result = subprocess.run(
            [TRACKER, "submit", *map(str, arguments), "--json"],
            env={**os.environ, "TRACKER_URL": self.url, "TRACKER_TOKEN": self.token},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        answer = json.loads(result.stdout) if result.returncode == 0 else {}
        return Submitted(result.returncode, answer, result.stderr)

    def post(
        self,
        path: Path,
        *,
        night: int,
        engine: str = "sglang",
        result_format: str = "inferencex",
        config: Path | None = None,
    ) -> dict[str, Any]:
        """The body `tracker submit` builds, posted by the functions it calls, without starting
        a process: for the nights of a history before or after the one posted by the CLI."""
        built = build_submission(
            files=[path],
            source=SourceOptions(
                engine=engine,
                timestamp=datetime(2026, 11, night, 3, tzinfo=UTC),
                commit=f"commit{night}",
            ),
            result_format=result_format,
            config=json.loads(config.read_text()) if config else None,
        )
        with tracker_client(ClientSettings(url=self.url, token=self.token)) as client:
            return post_submission(client=client, body=built.body)

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.url}{path}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def sweep(self, sweep_id: int) -> dict[str, Any]:
        sweep: dict[str, Any] = self.get(f"/api/v1/sweeps/{sweep_id}")
        return sweep

    def series(self, query: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.get(f"/api/v1/series?limit=1000&{query}")["items"]
        return items


@pytest.fixture
def start_tracker(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> Iterator[Callable[..., Tracker]]:
    """Starts `tracker serve` with settings on a database of its own, processing in-process (no
    broker)."""
    with ExitStack() as servers:

        def start(**settings: str) -> Tracker:
            database_url = scratch_databases.create()
            engine = create_db_engine(database_url)
            token = make_token(make_sessionmaker(engine), TokenScope.SUBMIT)
            engine.dispose()
            env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_BROKER_URL": "", **settings}
            url = servers.enter_context(tracker_server(env, tmp_path))
            return Tracker(url, token, database_url, tmp_path)

        yield start


@pytest.fixture
def tracker(start_tracker: Callable[..., Tracker]) -> Tracker:
    return start_tracker()


def ci_line(path: Path, *options: str, engine: str = "sglang", night: int = 1) -> list[str]:
    """The one line of the README's CI section, for one night."""
    return [
        str(path),
        "--engine",
        engine,
        "--commit",
        f"commit{night}",
        "--timestamp",
        f"2026-11-{night:02d}T03:00:00Z",
        *options,
    ]


def assert_frontier(sweep: dict[str, Any], expected: dict[str, dict[float, float]]) -> None:
    for metric, values in expected.items():
        got = sweep["frontier"][metric]
        assert sorted(got) == sorted(by_label(values)), metric
        for label, value in by_label(values).items():
            assert got[label] == pytest.approx(value, rel=REL), (metric, label)


def rows_by_framework(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["framework"], []).append(row)
    return grouped


def test_collect_file_with_an_agentic_row_and_multinode_configs(tracker: Tracker) -> None:
    rows = files.json_rows(files.COLLECT_MIXED_AGENTIC)
    submitted = tracker.submit(
        *ci_line(files.COLLECT_MIXED_AGENTIC, "--run-key", "github:SemiAnalysisAI/InferenceX:7:1")
    )

    assert submitted.code == 0, submitted.stderr
    answer = submitted.answer
    agentic = [i for i, row in enumerate(rows) if row.get("scenario_type") == "agentic-coding"]
    assert answer["skipped"] == [
        {"index": agentic[0], "reason": "scenario agentic-coding is not analysed"}
    ]
    assert (answer["status"], answer["results"], answer["series"]) == ("processed", 15, 3)
    series = {item["config"]["framework"]: item for item in tracker.series()}
    assert set(series) == {"sglang", "dynamo-sglang", "dynamo-trt"}
    for framework, framework_rows in rows_by_framework(
        [row for row in rows if row.get("scenario_type") != "agentic-coding"]
    ).items():
        sweep = tracker.sweep(series[framework]["latest"]["sweep_id"])
        assert_frontier(
            sweep,
            {
                metric: independent_frontier(
                    files.processed_points(framework_rows, metric), TARGETS
                )
                for metric in ("tput_per_gpu", "output_tput_per_gpu")
            },
        )
    aggregated = series["dynamo-trt"]["config"]  # 16 GPUs, all on the prefill side
    assert (aggregated["gpus"], aggregated["num_decode_gpu"], aggregated["wide_ep"]) == (
        16,
        0,
        True,
    )
    assert (
        "recipe_fingerprint"
        not in tracker.sweep(series["dynamo-trt"]["latest"]["sweep_id"])["components"]
    )  # written as "": no component
    disaggregated = tracker.sweep(series["dynamo-sglang"]["latest"]["sweep_id"])["components"]
    assert disaggregated["router"] == '{"name":"dynamo-kv-router","version":"0.6.1"}'
    assert disaggregated["runner"] == "b200-multinode"
    assert series["dynamo-sglang"]["config"]["hardware"] == "b200"
    engine = create_db_engine(tracker.database_url)
    with make_sessionmaker(engine)() as session:
        payload = session.execute(select(models.SourceRun.payload)).scalar_one()
    engine.dispose()
    assert json.loads(payload)["results"][agentic[0]]["scenario_type"] == "agentic-coding"


def test_sglang_jsonl_with_infinity_posts_as_written(tracker: Tracker) -> None:
    config = files.SGLANG_BENCH / "config.json"
    submitted = tracker.submit(
        *ci_line(files.SGLANG_SWEEP, "--format", "sglang-bench", "--config", str(config))
    )

    assert submitted.code == 0, submitted.stderr
    assert files.SGLANG_SWEEP.read_text().count('"request_rate": Infinity') == 5
    (item,) = tracker.series()
    sweep = tracker.sweep(item["latest"]["sweep_id"])
    rows = files.json_rows(files.SGLANG_SWEEP)
    assert_frontier(
        sweep,
        {
            "tput_per_gpu": independent_frontier(
                files.raw_points(rows, "total_throughput", 8), TARGETS
            ),
            "output_tput_per_gpu": independent_frontier(
                files.raw_points(rows, "output_throughput", 8), TARGETS
            ),
        },
    )
    assert sweep["components"] == {"client": "sglang-bench"}
    assert submitted.answer["degraded"] == []  # 4 requests per concurrency, all completed


def test_vllm_append_result_is_json_lines_in_a_json_file_and_names_its_model(
    tracker: Tracker, tmp_path: Path
) -> None:
    config = json.loads((files.VLLM_BENCH / "config.json").read_text())
    del config["model"]  # the rows' model_id says it
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    submitted = tracker.submit(
        *ci_line(
            files.VLLM_APPEND, "--format", "vllm-bench", "--config", str(config_path), engine="vllm"
        ),
    )

    assert submitted.code == 0, submitted.stderr
    assert submitted.answer["dropped"] == {"latencies": 5, "queue_times": 5}
    (item,) = tracker.series()
    assert item["config"]["model"] == "fake-org/fake-model-8b"
    rows = files.json_rows(files.VLLM_APPEND)
    assert_frontier(
        tracker.sweep(item["latest"]["sweep_id"]),
        {
            "tput_per_gpu": independent_frontier(
                files.raw_points(rows, "total_token_throughput", 8), TARGETS
            ),
            "output_tput_per_gpu": independent_frontier(
                files.raw_points(rows, "output_throughput", 8), TARGETS
            ),
        },
    )


def test_failed_requests_never_read_as_a_regression(tracker: Tracker) -> None:
    """Five clean nights, then four nights whose conc-16 run lost 21 of its 64 requests: the
    point is left out of the front, every value it would change is withheld (here all: PCHIP's
    slopes reach two intervals either side), and no change is found."""
    config = files.SGLANG_BENCH / "config.json"
    for night in range(1, 6):
        tracker.post(files.SGLANG_SWEEP, night=night, result_format="sglang-bench", config=config)
    for night in range(6, 9):
        tracker.post(
            files.SGLANG_CONC16_FAILED, night=night, result_format="sglang-bench", config=config
        )
    failed = tracker.submit(
        *ci_line(
            files.SGLANG_CONC16_FAILED,
            "--format",
            "sglang-bench",
            "--config",
            str(config),
            night=9,
        )
    )
    assert failed.code == 0, failed.stderr

    rows = files.json_rows(files.SGLANG_CONC16_FAILED)
    clean_rows = [row for row in rows if row["max_concurrency"] != 16]
    every = independent_frontier(files.raw_points(rows, "total_throughput", 8), TARGETS)
    kept = independent_frontier(files.raw_points(clean_rows, "total_throughput", 8), TARGETS)
    changed = sorted(
        t for t in every.keys() | kept.keys() if every.get(t) != pytest.approx(kept.get(t), rel=REL)
    )
    (degraded,) = failed.answer["degraded"]
    assert degraded["points"] == [
        {
            "conc": 16,
            "failed": 21,
            "requested": 64,
            "failed_fraction": 21 / 64,
            "requested_inferred": True,
            "reason": "21 of 64 requests failed (requested count inferred from the sweep)",
            "on_front": True,
        }
    ]
    assert degraded["withheld"]["tput_per_gpu"] == [f"{t:g}" for t in changed]
    assert failed.answer["without_values"] == [
        {
            "series_id": degraded["series_id"],
            "sweep_id": degraded["sweep_id"],
            "timestamp": "2026-11-09T03:00:00Z",
            "commit": "commit9",
            "reason": "degraded",
        }
    ]
    sweep = tracker.sweep(degraded["sweep_id"])
    assert [(p["conc"], p["degraded"], p["on_front"]) for p in sweep["points"]] == [
        (4, False, True),
        (8, False, True),
        (16, True, False),
        (32, False, True),
        (64, False, True),
    ]
    assert tracker.get("/api/v1/changes")["items"] == []
    trend = tracker.get(f"/api/v1/series/{degraded['series_id']}/trend?interactivity=75")
    assert [point["timestamp"][:10] for point in trend["points"]] == [
        f"2026-11-{night:02d}" for night in range(1, 6)
    ]
    assert [run["reasons"] for run in trend["withheld"]] == [
        ["conc 16: 21 of 64 requests failed (requested count inferred from the sweep)"]
    ] * 4
    (item,) = tracker.series()
    assert item["latest"]["timestamp"].startswith("2026-11-05")  # the newest night with values
    assert item["newer_sweep_without_values"]["reason"] == "degraded"
    assert item["newer_sweep_without_values"]["timestamp"].startswith("2026-11-09")


def test_a_detailed_file_over_the_body_limit_posts_and_reads_its_errors(
    start_tracker: Callable[..., Tracker],
) -> None:
    """`--output-details` per-request lists are dropped (the CLI drops all but `errors` before
    posting, the tracker the rest after counting failures): a file three times the body limit
    posts, and its failed requests are found in `errors`."""
    tracker = start_tracker(TRACKER_MAX_SUBMISSION_BYTES="120000")
    path = files.SGLANG_DETAILS_CONC8_FAILED
    assert path.stat().st_size > 2 * 120000
    config = str(files.SGLANG_FAILED / "config.json")
    submitted = tracker.submit(*ci_line(path, "--format", "sglang-bench", "--config", config))

    assert submitted.code == 0, submitted.stderr
    names = ("input_lens", "output_lens", "ttfts", "itls", "generated_texts", "errors")
    assert submitted.answer["dropped"] == dict.fromkeys(names, 3)
    (degraded,) = submitted.answer["degraded"]
    assert [
        (p["conc"], p["failed"], p["requested"], p["requested_inferred"])
        for p in degraded["points"]
    ] == [(8, 6, 32, False)]
    rows = files.json_rows(path)
    every = independent_frontier(files.raw_points(rows, "total_throughput", 8), TARGETS)
    kept = independent_frontier(
        files.raw_points(
            [row for row in rows if row["max_concurrency"] != 8], "total_throughput", 8
        ),
        TARGETS,
    )
    # With conc 8 gone, the PCHIP through the other two points differs at every target.
    assert all(kept.get(t) != pytest.approx(every[t], rel=REL) for t in every)
    assert degraded["withheld"]["tput_per_gpu"] == sorted(by_label(every), key=float)
    assert [sweep["reason"] for sweep in submitted.answer["without_values"]] == ["degraded"]


def test_heterogeneous_disaggregation_is_its_own_series_priced_by_side(tracker: Tracker) -> None:
    submitted = tracker.submit(*ci_line(files.HETERO_DISAGG, engine="dynamo"))

    assert submitted.code == 0, submitted.stderr
    (item,) = tracker.series("prefill_hardware=b300")
    config = item["config"]
    assert (config["hardware"], config["prefill_hardware"], config["decode_hardware"]) == (
        "b300+gb300",
        "b300",
        "gb300",
    )
    assert tracker.series("hardware=b200") == []  # not the runner label's GPU
    sweep = tracker.sweep(item["latest"]["sweep_id"])
    rows = files.json_rows(files.HETERO_DISAGG)
    tput = independent_frontier(files.processed_points(rows), TARGETS)
    assert_frontier(sweep, {"tput_per_gpu": tput})
    assert sweep["components"]["runner"] == "b200-multinode"
    hyperscaler = (8 * PRICE_PER_GPU_HOUR["b300"][0] + 8 * PRICE_PER_GPU_HOUR["gb300"][0]) / 16
    for label, value in by_label(tput).items():
        expected = hyperscaler / (value * 3600 / 1e6)
        assert sweep["frontier"]["cost_per_mtok"]["hyperscaler"][label] == pytest.approx(expected)


RUNNER_LABELS = {
    "cluster:b300-nv": "b300",
    "cluster:mi325x-tw": "mi325x",
    "b200-dsv4": "b200",
    "b200-nscale": "b200",
    "b200-new": "b200",
    "rtx6000pro-lat": "rtx6000pro",
}


def test_runner_labels_fold_to_their_gpu_and_are_kept_as_a_component(tracker: Tracker) -> None:
    """Each real runner label's file, one night each: the GPU is the series' hardware (one
    series for the three B200 labels), the label the sweep's `runner`; a GPU the tracker does
    not know keeps its name, is said to be unknown, and has no cost rather than a wrong one."""
    for night, (label, hardware) in enumerate(RUNNER_LABELS.items(), start=1):
        path = next(p for p in files.RUNNER_LABELS if p.stem.endswith(label.replace(":", "_")))
        rows = files.json_rows(path)
        assert {row["hw"] for row in rows} == {label}
        submitted = tracker.submit(*ci_line(path, night=night))

        assert submitted.code == 0, submitted.stderr
        (item,) = tracker.series(f"hardware={hardware}")
        assert tracker.series(f"hardware={label}") == [item]
        sweep = tracker.sweep(item["latest"]["sweep_id"])
        assert sweep["components"]["runner"] == label
        tput = independent_frontier(files.processed_points(rows), TARGETS)
        assert_frontier(sweep, {"tput_per_gpu": tput})
        if hardware in PRICE_PER_GPU_HOUR:
            assert submitted.answer["warnings"] == []
            costs = sweep["frontier"]["cost_per_mtok"]["hyperscaler"]
            assert sorted(costs) == sorted(by_label(tput))
        else:
            (warning,) = submitted.answer["warnings"]
            assert warning["type"] == "hardware_unknown"
            assert f"'{hardware}' (runner '{label}')" in warning["msg"]
            assert sweep["frontier"]["cost_per_mtok"]["hyperscaler"] == {}
    assert len(tracker.series()) == 4
    (b200,) = tracker.series("hardware=b200")
    sweeps = tracker.get(f"/api/v1/series/{b200['id']}/sweeps")["items"]
    assert [sweep["components"]["runner"] for sweep in sweeps] == [
        "b200-new",
        "b200-nscale",
        "b200-dsv4",
    ]


def test_a_client_switch_shows_as_a_component_change(tracker: Tracker) -> None:
    """One config measured by the InferenceX client, then by SGLang's: the step at 75 tok/s/user
    comes with the client among the components that changed."""
    config = files.SGLANG_BENCH / "config.json"
    assert tracker.submit(*ci_line(files.SINGLE_NODE, night=1)).code == 0
    for night in range(2, 6):
        tracker.post(files.SINGLE_NODE, night=night)
    for night in range(6, 10):
        tracker.post(files.SGLANG_SWEEP, night=night, result_format="sglang-bench", config=config)

    (item,) = tracker.series()
    changes = tracker.get("/api/v1/changes?metric=tput_per_gpu&interactivity=75")["items"]
    (change,) = changes
    assert change["series_id"] == item["id"]
    assert change["components_changed"]["client"] == ["inferencex", "sglang-bench"]
    inferencex = independent_frontier(
        files.processed_points(files.json_rows(files.SINGLE_NODE)), [75]
    )
    sglang = independent_frontier(
        files.raw_points(files.json_rows(files.SGLANG_SWEEP), "total_throughput", 8), [75]
    )
    assert change["relative_change"] == pytest.approx(sglang[75] / inferencex[75] - 1, rel=1e-9)


def test_latest_values_stay_when_a_newer_sweep_has_none(tracker: Tracker) -> None:
    assert tracker.submit(*ci_line(files.SINGLE_NODE, night=1)).code == 0
    one_job = tracker.submit(*ci_line(files.per_job_file(16), night=2))  # no sweep key
    assert one_job.code == 0, one_job.stderr

    (item,) = tracker.series()
    assert item["latest"]["timestamp"].startswith("2026-11-01")
    assert item["latest"]["values"]["tput_per_gpu"] == pytest.approx(
        by_label(
            independent_frontier(
                files.processed_points(files.json_rows(files.SINGLE_NODE)), TARGETS
            )
        ),
        rel=REL,
    )
    assert item["newer_sweep_without_values"]["reason"] == "one_point"
    assert one_job.answer["without_values"][0]["reason"] == "one_point"


def test_a_front_below_the_lowest_target_says_so(start_tracker: Callable[..., Tracker]) -> None:
    tracker = start_tracker(TRACKER_INTERACTIVITY_TARGETS="150,200")
    submitted = tracker.submit(*ci_line(files.SINGLE_NODE))
    assert submitted.code == 0, submitted.stderr
    assert [sweep["reason"] for sweep in submitted.answer["without_values"]] == ["below_targets"]
    (item,) = tracker.series()
    assert item["latest"] is None
    assert item["newer_sweep_without_values"]["reason"] == "below_targets"


def test_a_raw_file_without_format_says_which_format_it_looks_like(tracker: Tracker) -> None:
    submitted = tracker.submit(*ci_line(files.SGLANG_SWEEP))
    assert submitted.code == 1
    assert "looks like sglang-bench output" in " ".join(submitted.stderr.split())
    assert "--format sglang-bench" in " ".join(submitted.stderr.split())
    assert submitted.stderr.count("\n  body.") == 1  # one error, not one per missing field


def test_an_engine_that_runs_none_of_the_rows_frameworks_is_refused(tracker: Tracker) -> None:
    submitted = tracker.submit(*ci_line(files.SINGLE_NODE, engine="vllm"))
    assert submitted.code == 1
    message = " ".join(submitted.stderr.split())
    assert "body.source.engine: engine 'vllm' runs none of the rows' frameworks (sglang)" in message
    assert tracker.series() == []
