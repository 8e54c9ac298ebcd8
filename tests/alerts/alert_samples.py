"""Alerts, changes, charts and digests for the alert tests: realistic, deterministic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.messages.model import (
    AlertChart,
    AlertSummary,
    ChangeSummary,
    Digest,
    DigestLine,
    FrontPoint,
    RelatedAlert,
    SeriesPoint,
)
from tracker.vocabulary import Metric

RUN_AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
# USD per GPU-hour, hyperscaler / neocloud / rental (docs/frontier.md).
PRICES = {"mi355x": (1.48, 1.90, 2.10), "gb200": (2.21, 2.75, 3.30), "h200": (1.41, 1.74, 1.60)}
TARGETS = (35.0, 50.0, 75.0, 100.0, 125.0)


def config(
    *,
    hardware: str = "mi355x",
    framework: str = "sglang",
    model_prefix: str = "dsr1",
    precision: str = "fp8",
    isl: int = 1024,
    osl: int = 1024,
    tp: int | None = 8,
    ep: int = 1,
    disagg: bool = False,
    prefill_gpus: int | None = None,
    decode_gpus: int | None = None,
    wide_ep: bool = False,
    spec_method: str = "none",
) -> dict[str, Any]:
    """A canonical config (docs/configs.md) with the fields the messages read."""
    multinode = prefill_gpus is not None
    return {
        "hardware": hardware,
        "framework": framework,
        "model": f"deepseek-ai/{model_prefix}-model",
        "model_prefix": model_prefix,
        "precision": precision,
        "spec_method": spec_method,
        "disagg": disagg,
        "is_multinode": multinode,
        "tp": None if multinode else tp,
        "ep": None if multinode else ep,
        "dp_attention": False,
        "num_prefill_gpu": prefill_gpus,
        "num_decode_gpu": decode_gpus,
        "isl": isl,
        "osl": osl,
        "scenario": "fixed-seq-len",
        "gpus": (prefill_gpus or 0) + (decode_gpus or 0) if multinode else tp,
        "wide_ep": wide_ep,
    }


def costs(hardware: str, tput_per_gpu: float) -> dict[str, float] | None:
    """Cost per million tokens by price set, as the tracker computes it."""
    prices = PRICES.get(hardware)
    if prices is None:
        return None
    names = ("hyperscaler", "neocloud", "rental")
    return {
        name: price / (tput_per_gpu * 3600 / 1e6) for name, price in zip(names, prices, strict=True)
    }


def change(
    change_id: int,
    series_id: int,
    series_config: Mapping[str, Any],
    *,
    interactivity: float,
    before: float,
    relative_change: float,
    metric: str = "tput_per_gpu",
    run_timestamp: datetime = RUN_AT,
) -> ChangeSummary:
    """A confirmed change point; direction (higher TTFT or energy is worse), level after and
    costs (of total throughput only) follow from the change."""
    after = before * (1 + relative_change)
    hardware = str(series_config["hardware"])
    higher_is_better = Metric(metric).higher_is_better
    priced = metric == Metric.TPUT_PER_GPU
    return ChangeSummary(
        change_id=change_id,
        series_id=series_id,
        config=series_config,
        metric=metric,
        interactivity=interactivity,
        direction="gain" if (relative_change > 0) == higher_is_better else "regression",
        before=before,
        after=after,
        relative_change=relative_change,
        run_timestamp=run_timestamp,
        cost_before=costs(hardware, before) if priced else None,
        cost_after=costs(hardware, after) if priced else None,
    )


def mi355x_fp8_configs() -> list[dict[str, Any]]:
    """Six FP8 dsr1 configs on MI355X: single-node and disagg, 1k/1k and 8k/1k."""
    return [
        config(tp=8, isl=1024, osl=1024),
        config(tp=8, isl=8192, osl=1024),
        config(tp=4, ep=4, isl=1024, osl=1024),
        config(disagg=True, prefill_gpus=8, decode_gpus=16, isl=1024, osl=1024),
        config(disagg=True, prefill_gpus=8, decode_gpus=16, isl=8192, osl=1024),
        config(disagg=True, prefill_gpus=16, decode_gpus=16, isl=8192, osl=1024),
    ]


def thirty_regressions(first_change_id: int = 1) -> tuple[ChangeSummary, ...]:
    """30 change points of one commit: 6 MI355X FP8 series × 5 targets, stronger at high
    interactivity (−6.0 % at 35 up to −13.5 % at 125 on the worst series)."""
    changes = []
    change_id = first_change_id
    for index, series_config in enumerate(mi355x_fp8_configs()):
        for step, target in enumerate(TARGETS):
            before = (3200.0 - 150 * index) * 0.8**step
            relative = -(0.06 + 0.015 * step + 0.003 * index)
            changes.append(
                change(
                    change_id,
                    101 + index,
                    series_config,
                    interactivity=target,
                    before=before,
                    relative_change=relative,
                )
            )
            change_id += 1
    return tuple(changes)


def two_gains(first_change_id: int = 500) -> tuple[ChangeSummary, ...]:
    """BF16 on H200 gained a little at 35 tok/s/user, on two series."""
    h200 = [
        config(hardware="h200", precision="bf16", model_prefix="gptoss", tp=tp) for tp in (4, 8)
    ]
    return tuple(
        change(
            first_change_id + index,
            201 + index,
            series_config,
            interactivity=35.0,
            before=2100.0 + 100 * index,
            relative_change=0.031 + 0.01 * index,
        )
        for index, series_config in enumerate(h200)
    )


def alert(
    changes: Sequence[ChangeSummary],
    *,
    alert_id: int = 42,
    state: str = "untriaged",
    engine: str = "sglang",
    related: tuple[RelatedAlert, ...] = (),
    components: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> AlertSummary:
    """An alert of `engine` between commits 4f2c1e9… and 9a1b7c3…."""
    return AlertSummary(
        alert_id=alert_id,
        engine=engine,
        state=state,
        commit_from="4f2c1e9b7d0a",
        commit_to="9a1b7c3e55f1",
        compare_url="https://github.com/sgl-project/sglang/compare/4f2c1e9b7d0a...9a1b7c3e55f1",
        range_start=RUN_AT - timedelta(days=1),
        range_end=RUN_AT,
        components_changed=(
            {"engine_version": ("0.5.4", "0.5.5"), "rocm": ("7.0.1", "7.0.2")}
            if components is None
            else components
        ),
        changes=tuple(changes),
        related=related,
        url=f"https://tracker.example/alerts/{alert_id}",
    )


def trade_changes(first_change_id: int = 700) -> tuple[ChangeSummary, ...]:
    """One commit's trade on H200 dsr1 FP8: tput/GPU +6.1 % at 35 and +5.2 % at 50
    tok/s/user, p99 TTFT +38 % and +41 %, median TTFT +12 % at 35."""
    h200 = config(hardware="h200")
    moves = (
        ("tput_per_gpu", 35.0, 2400.0, 0.061),
        ("tput_per_gpu", 50.0, 1900.0, 0.052),
        ("p99_ttft", 35.0, 0.091, 0.38),
        ("p99_ttft", 50.0, 0.074, 0.41),
        ("median_ttft", 35.0, 0.067, 0.12),
    )
    return tuple(
        change(
            first_change_id + index,
            301,
            h200,
            interactivity=target,
            before=before,
            relative_change=relative,
            metric=metric,
        )
        for index, (metric, target, before, relative) in enumerate(moves)
    )


def improvement_alert() -> AlertSummary:
    """All gains: dynamo-trt on GB200, disagg wide-EP with MTP."""
    gb200 = [
        config(
            hardware="gb200",
            framework="dynamo-trt",
            precision="fp4",
            disagg=True,
            prefill_gpus=p,
            decode_gpus=d,
            wide_ep=True,
            spec_method="mtp",
        )
        for p, d in ((4, 16), (8, 32))
    ]
    changes = tuple(
        change(
            700 + 10 * index + step,
            301 + index,
            series_config,
            interactivity=target,
            before=1800.0 - 200 * step,
            relative_change=0.05 + 0.02 * step,
        )
        for index, series_config in enumerate(gb200)
        for step, target in enumerate((35.0, 75.0, 125.0))
    )
    base = alert(
        changes,
        alert_id=57,
        state="improvement",
        engine="dynamo-trt",
        components={"dynamo": ("0.6.0", "0.6.1")},
    )
    return replace(
        base,
        commit_from="1a2b3c4d5e6f",
        commit_to="7f8e9d0c1b2a",
        compare_url="https://github.com/ai-dynamo/dynamo/compare/1a2b3c4d5e6f...7f8e9d0c1b2a",
    )


def many_series_alert(count: int = 200) -> AlertSummary:
    """One change point on each of `count` series (H200 and MI355X, several models)."""
    changes = []
    for index in range(count):
        series_config = config(
            hardware=("mi355x", "h200")[index % 2],
            model_prefix=("dsr1", "gptoss", "llama70b", "qwen3")[index % 4],
            precision=("fp8", "fp4")[index % 3 % 2],
            tp=(1, 2, 4, 8)[index % 4],
            isl=(1024, 8192)[index % 5 % 2],
        )
        relative = -0.05 - 0.0005 * (index % 200) if index % 7 else 0.04 + 0.0001 * (index % 200)
        changes.append(
            change(
                1000 + index,
                2000 + index,
                series_config,
                interactivity=35.0,
                before=1000.0 + index,
                relative_change=relative,
            )
        )
    return alert(changes, alert_id=99)


def alert_chart(*, with_outliers: bool = True, with_fronts: bool = True) -> AlertChart:
    """Thirty nights of a track that drops 9 % on night 20, with two outlier nights."""
    points = []
    for night in range(30):
        level = 2400.0 if night < 20 else 2184.0
        wobble = ((night * 37) % 11 - 5) * 4.0
        outlier = with_outliers and night in (7, 24)
        value = level * 0.7 if outlier else level + wobble
        points.append(SeriesPoint(RUN_AT - timedelta(days=29 - night), value, outlier))
    front_before = tuple(FrontPoint(x, 5200.0 - 28 * x) for x in (10, 20, 35, 50, 75, 100, 125))
    front_after = tuple(FrontPoint(x, 5000.0 - 30 * x) for x in (10, 20, 35, 50, 75, 100, 125))
    return AlertChart(
        title="sglang · MI355X · dsr1 FP8 8k/1k · TP8 — tok/s/GPU at 35 tok/s/user",
        points=tuple(points),
        change_timestamp=RUN_AT - timedelta(days=9),
        before_level=2400.0,
        after_level=2184.0,
        front_before=front_before if with_fronts else (),
        front_after=front_after if with_fronts else (),
        interactivity=35.0,
    )


def month_digest() -> Digest:
    """A month-over-month digest where gains lead: dynamo-trt on GB200 +21 % in 4 steps."""
    gb200 = config(
        hardware="gb200",
        framework="dynamo-trt",
        precision="fp4",
        disagg=True,
        prefill_gpus=8,
        decode_gpus=32,
        wide_ep=True,
        spec_method="mtp",
    )
    steps = tuple(
        change(
            900 + week,
            401,
            gb200,
            interactivity=35.0,
            before=level,
            relative_change=gain,
            run_timestamp=datetime(2026, 11, 3 + 7 * week, 3, tzinfo=UTC),
        )
        for week, (level, gain) in enumerate(
            ((1000.0, 0.052), (1052.0, 0.061), (1116.2, 0.044), (1165.3, 0.035))
        )
    )
    mi355x = config()
    regression_step = (
        change(
            950,
            402,
            mi355x,
            interactivity=35.0,
            before=3100.0,
            relative_change=-0.072,
            run_timestamp=datetime(2026, 11, 20, 3, tzinfo=UTC),
        ),
    )
    return Digest(
        title="Month over month: Oct 28 – Nov 27",
        days=30,
        generated_at=datetime(2026, 11, 27, 6, 0, tzinfo=UTC),
        lines=(
            DigestLine(
                "sglang", "mi355x", "dsr1 fp8 1k/1k", 2877.0, 3100.0, 810.0, 880.0, regression_step
            ),
            DigestLine(
                "dynamo-trt",
                "gb200",
                "dsr1 fp4 1k/1k disagg wide-EP mtp",
                1206.1,
                1000.0,
                455.0,
                376.0,
                steps,
            ),
            DigestLine("vllm", "h200", "gptoss bf16 1k/1k", 2101.0, 2095.0, None, None, ()),
            DigestLine("atom", "mi355x", "dsr1 fp4 8k/1k", 1530.0, 1400.0, 610.0, 560.0, ()),
            DigestLine("trt", "b200", "dsr1 fp4 8k/1k", 1800.0, None, 700.0, None, ()),
        ),
    )
