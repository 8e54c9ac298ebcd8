"""Submission bodies built from the real InferenceX samples."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import sample_rows

GPT_OSS_CONFIG = {
    "hardware": "gb200",
    "framework": "dynamo-trt",
    "model": "openai/gpt-oss-120b",
    "precision": "fp4",
    "isl": 1024,
    "osl": 1024,
    "disagg": True,
    "is_multinode": True,
    "num_prefill_gpu": 8,
    "num_decode_gpu": 8,
}


def source(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "engine": "vllm",
        "engine_version": "0.21.0",
        "commit": "4f2c1e9b7d",
        "repo": "https://github.com/vllm-project/vllm",
        "branch": "main",
        "run_key": "github:vllm-project/vllm:123456789:1",
        "timestamp": "2026-06-01T03:00:00Z",
        "components": {"rocm": "7.0.2"},
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def processed_body(**source_overrides: Any) -> dict[str, Any]:
    """The three processed Kimi-K2.5 rows (inferencex format): two configs, 1k/1k and 8k/1k."""
    return {
        "source": source(**source_overrides),
        "format": "inferencex",
        "results": sample_rows("fixed_seq_len_agg"),
    }


def gpt_oss_body(**source_overrides: Any) -> dict[str, Any]:
    """The eight raw gpt-oss-120b benchmark_serving files of one disaggregated sweep."""
    overrides = {"engine": "dynamo-trt", "run_key": "gptoss-sweep-1", **source_overrides}
    return {
        "source": source(**overrides),
        "format": "benchmark-serving",
        "config": copy.deepcopy(GPT_OSS_CONFIG),
        "results": sample_rows("raw_benchmark_serving", "gptoss-120b"),
    }


def minimax_body(**source_overrides: Any) -> dict[str, Any]:
    overrides = {"engine": "dynamo-trt", "run_key": "minimax-sweep-1", **source_overrides}
    config = {
        **copy.deepcopy(GPT_OSS_CONFIG),
        "model": "MiniMaxAI/MiniMax-M2.5",
        "precision": "fp8",
    }
    return {
        "source": source(**overrides),
        "format": "benchmark-serving",
        "config": config,
        "results": sample_rows("raw_benchmark_serving", "minimax-m2.5"),
    }


def synthetic_rows(
    *,
    hardware: str = "mi355x",
    framework: str = "sglang",
    precision: str = "fp8",
    model: str = "deepseek-ai/DeepSeek-R1-0528",
    level: float = 1.0,
    isl: int = 1024,
    osl: int = 1024,
    tp: int = 8,
    p99_ttft_level: float | None = None,
    joules_level: float | None = None,
) -> list[dict[str, Any]]:
    """A plausible single-node sweep: interactivity falls and throughput rises with concurrency.

    With `p99_ttft_level` the rows carry p99 TTFT (its level times a curve rising with
    concurrency); with `joules_level` InferenceX's valid power fields (joules per output token
    falling with concurrency)."""
    rows = []
    for conc in (4, 8, 16, 32, 64, 128, 256):
        interactivity = 160.0 / (1 + (conc / 48) ** 0.9)
        output_per_gpu = conc * interactivity / tp * 0.9 * level
        rows.append(
            {
                "hw": hardware,
                "framework": framework,
                "model": model,
                "precision": precision,
                "isl": isl,
                "osl": osl,
                "tp": tp,
                "ep": 1,
                "dp_attention": "false",
                "conc": conc,
                "median_intvty": interactivity,
                "median_tpot": 1 / interactivity,
                "median_ttft": 0.05 * (1 + conc / 32),
                "median_e2el": osl / interactivity,
                "tput_per_gpu": output_per_gpu * (isl + osl) / osl,
                "output_tput_per_gpu": output_per_gpu,
                "input_tput_per_gpu": output_per_gpu * isl / osl,
            }
        )
        if p99_ttft_level is not None:
            rows[-1]["p99_ttft"] = 0.12 * (1 + conc / 24) * p99_ttft_level
        if joules_level is not None:
            rows[-1]["power_valid"] = 1
            rows[-1]["joules_per_output_token"] = 2.5 * (1 + 32 / conc) * joules_level
    return rows


FIRST_NIGHT = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def night_timestamp(night: int) -> str:
    return (FIRST_NIGHT + timedelta(days=night)).isoformat().replace("+00:00", "Z")


def synthetic_body(
    *, engine: str, night: int, engine_version: str | None = None, **row_fields: Any
) -> dict[str, Any]:
    """One engine's night: a synthetic sweep, commit ``<night>abcdef``."""
    return {
        "source": source(
            engine=engine,
            run_key=f"test:{engine}:{night}:{sorted(row_fields.items())}",
            commit=f"{night:04d}abcdef",
            engine_version=engine_version or f"0.5.{night}",
            timestamp=night_timestamp(night),
            repo=None,  # the engine's known repository gives the compare link
        ),
        "results": synthetic_rows(framework=engine, **row_fields),
    }


def nightly_levels(
    nights: int,
    *,
    steps: dict[int, float] | None = None,
    outliers: dict[int, float] | None = None,
    noise: float = 0.01,
    seed: int = 3,
) -> list[float]:
    """Throughput levels night by night: 1.0 with seeded noise, multiplied by each step from its
    night on, and by an outlier factor on single nights."""
    rng = random.Random(seed)
    level, levels = 1.0, []
    for night in range(nights):
        level *= (steps or {}).get(night, 1.0)
        levels.append(level * (1 + rng.gauss(0, noise)) * (outliers or {}).get(night, 1.0))
    return levels
