"""The real benchmark-client files of `tests/data/real-clients/` (its README says how each was
made), and their points read independently of the tracker's parsers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.data import REAL_CLIENT_FILES

INFERENCEX = REAL_CLIENT_FILES / "inferencex"
SINGLE_NODE = INFERENCEX / "single-node" / "agg_bmk.json"
COLLECT_MIXED_AGENTIC = INFERENCEX / "collect-mixed-agentic" / "agg_bmk.json"
HETERO_DISAGG = INFERENCEX / "hetero-disagg" / "agg_bmk.json"
PER_JOB = sorted((INFERENCEX / "per-job").glob("agg_*.json"))
RUNNER_LABELS = sorted((INFERENCEX / "runner-labels").glob("agg_bmk_*.json"))
SGLANG_BENCH = REAL_CLIENT_FILES / "sglang-bench"
SGLANG_SWEEP = SGLANG_BENCH / "sglang_bench_sweep.jsonl"
SGLANG_FAILED = REAL_CLIENT_FILES / "sglang-bench-failed"
SGLANG_CONC16_FAILED = SGLANG_FAILED / "sglang_bench_sweep_conc16_failed.jsonl"
SGLANG_DETAILS_CONC8_FAILED = SGLANG_FAILED / "sglang_details_conc8_failed.jsonl"
VLLM_BENCH = REAL_CLIENT_FILES / "vllm-bench"
VLLM_APPEND = VLLM_BENCH / "vllm_sweep_append.json"


def json_rows(path: Path) -> list[dict[str, Any]]:
    """A file's rows, read with the standard library: one JSON document, or one per line."""
    text = path.read_text()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return document if isinstance(document, list) else [document]


def per_job_file(conc: int) -> Path:
    return next(path for path in PER_JOB if f"_conc{conc}_" in path.name)


def processed_points(
    rows: list[dict[str, Any]], throughput: str = "tput_per_gpu"
) -> list[tuple[float, float]]:
    """(median_intvty, throughput per GPU) of InferenceX processed rows."""
    return [(row["median_intvty"], row[throughput]) for row in rows]


def raw_points(rows: list[dict[str, Any]], throughput: str, gpus: int) -> list[tuple[float, float]]:
    """(1000 / median_tpot_ms, throughput / GPUs) of raw client outputs."""
    return [(1000 / row["median_tpot_ms"], row[throughput] / gpus) for row in rows]
