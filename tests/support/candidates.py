"""A tracked history of several series and candidate runs made of its last night's rows, for the
verdict's tests and benchmark."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from tests.support.builders import night_timestamp, nightly_levels, source, synthetic_rows


@dataclass(frozen=True)
class SeriesPlan:
    """One config of the engine's nightly sweep, with its noise (relative) and steps."""

    hardware: str
    model: str
    noise: float
    seed: int
    steps: tuple[tuple[int, float], ...] = ()

    def fields(self) -> dict[str, Any]:
        return {"hardware": self.hardware, "model": self.model}


QUIET = 0.003
NOISY = 0.03

FLEET = (
    SeriesPlan("mi355x", "deepseek-ai/DeepSeek-R1-0528", QUIET, seed=11),
    SeriesPlan("mi355x", "Qwen/Qwen3-235B-A22B", QUIET, seed=12, steps=((15, 1.1),)),
    SeriesPlan("b200", "deepseek-ai/DeepSeek-R1-0528", QUIET, seed=13),
    SeriesPlan("b200", "Qwen/Qwen3-235B-A22B", QUIET, seed=14),
    SeriesPlan("h200", "deepseek-ai/DeepSeek-R1-0528", NOISY, seed=15),
)
"""Quiet series on two GPUs (one gains 10 % on night 15: a change and an alert), and a noisy one
on a third."""


def commit_of(night: int) -> str:
    return f"{night:04d}abcdef"


def night_rows(fleet: tuple[SeriesPlan, ...], nights: int, night: int) -> list[dict[str, Any]]:
    """Every series' sweep of one night, each at its own level."""
    rows: list[dict[str, Any]] = []
    for plan in fleet:
        level = nightly_levels(nights, steps=dict(plan.steps), noise=plan.noise, seed=plan.seed)
        rows += synthetic_rows(framework="sglang", level=level[night], **plan.fields())
    return rows


def nightly_body(rows: list[dict[str, Any]], night: int) -> dict[str, Any]:
    return {
        "source": source(
            engine="sglang",
            run_key=f"nightly:{night}",
            commit=commit_of(night),
            engine_version=None,
            timestamp=night_timestamp(night),
            repo=None,
        ),
        "results": rows,
    }


def scaled(
    rows: list[dict[str, Any]], factor: float, *, where: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Copies of the rows, their throughputs times `factor` on the rows matching `where`."""
    copies = copy.deepcopy(rows)
    for row in copies:
        if all(row.get(name) == value for name, value in (where or {}).items()):
            for metric in ("tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu"):
                row[metric] *= factor
    return copies


THROUGHPUT_METRICS = frozenset({"tput_per_gpu", "output_tput_per_gpu"})
"""What `scaled` changes; a verdict's latency items stay as the history had them."""


def throughput_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A verdict's items for the throughput metrics."""
    return [item for item in items if item["metric"] in THROUGHPUT_METRICS]


def candidate_body(
    rows: list[dict[str, Any]],
    *,
    pull_request: int | None,
    commit: str,
    night: int,
    run_key: str,
    **source_fields: Any,
) -> dict[str, Any]:
    """A pull request's run of the rows (a run of the night after `night`)."""
    return {
        "source": source(
            engine="sglang",
            run_key=run_key,
            commit=commit,
            engine_version=None,
            timestamp=night_timestamp(night + 1),
            repo=None,
            branch=source_fields.pop("branch", "pr-branch"),
            pull_request=pull_request,
            **source_fields,
        ),
        "results": rows,
    }
