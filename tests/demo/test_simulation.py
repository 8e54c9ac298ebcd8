"""The synthetic history: deterministic, well-formed, realistic, and true to its ground truth.

Rows are mapped to configs here by an independent reading of docs/configs.md's normalisation,
so these tests also check that the ground truth's `ConfigKey`s are what the tracker will call the
series.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import pytest

from tracker.configs.hardware import fold_runner_label
from tracker.demo.simulation import (
    BENCHMARK,
    DEFAULT_START,
    DEMO,
    SMALL,
    ConfigKey,
    History,
    HistoryScale,
    generate_history,
)
from tracker.demo.simulation.catalogue import ENGINES, ENGINES_BY_NAME, GPUS
from tracker.demo.simulation.configs import ConfigSpec, candidate_configs
from tracker.demo.simulation.curves import METRIC_NAMES, CurveTable, design_curve, sweep_metrics

LATENCY_KEYS = [
    f"{stat}_{metric}"
    for metric in ("ttft", "tpot", "itl", "e2el")
    for stat in ("mean", "median", "p90", "p99", "p99.9")
]
INTERACTIVITY_KEYS = ["mean_intvty", "median_intvty", "p90_intvty", "p99_intvty"]
SINGLE_NODE_KEYS = ["tp", "ep", "dp_attention"]
MULTINODE_KEYS = [
    f"{side}_{name}"
    for side in ("prefill", "decode")
    for name in ("tp", "ep", "dp_attention", "num_workers")
] + ["num_prefill_gpu", "num_decode_gpu"]
COMMON_KEYS = [
    "hw",
    "framework",
    "model",
    "infmax_model_prefix",
    "precision",
    "spec_decoding",
    "disagg",
    "is_multinode",
    "isl",
    "osl",
    "image",
    "conc",
    "tput_per_gpu",
    "output_tput_per_gpu",
    "input_tput_per_gpu",
]

SweepPoints = list[tuple[float, float]]  # (median_intvty, tput_per_gpu)


# ---- an independent reading of docs/configs.md ---------------------------------------------
def as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def canonical_config(row: dict[str, Any]) -> dict[str, Any]:
    single, multi = "tp" in row, "prefill_tp" in row
    config: dict[str, Any] = {
        "hardware": fold_runner_label(row["hw"]),
        "framework": row["framework"].lower(),
        "model": row["model"].lower(),
        "precision": row["precision"].lower(),
        "spec_method": str(row.get("spec_decoding", "none")).lower(),
        "disagg": as_bool(row.get("disagg", False)),
        "is_multinode": as_bool(row.get("is_multinode", False)),
        "isl": row["isl"],
        "osl": row["osl"],
        "scenario": row.get("scenario_type", "fixed-seq-len"),
        "tp": row["tp"] if single else None,
        "dp_attention": as_bool(row.get("dp_attention", False)) if single else None,
        "num_prefill_gpu": row["num_prefill_gpu"] if multi else None,
        "num_decode_gpu": row["num_decode_gpu"] if multi else None,
    }
    for name in ("ep", "pp", "dcp_size", "pcp_size"):
        config[name] = row.get(name, 1) if single else None
    for side in ("prefill", "decode"):
        for name in ("tp", "ep", "pp", "dcp_size", "pcp_size", "num_workers"):
            default = row.get(f"{side}_tp") if name == "tp" else 1
            config[f"{side}_{name}"] = row.get(f"{side}_{name}", default) if multi else None
        flag = row.get(f"{side}_dp_attention", False)
        config[f"{side}_dp_attention"] = as_bool(flag) if multi else None
    return config


def frontier_value(points: SweepPoints, interactivity: float) -> float | None:
    """Throughput at an interactivity, linearly interpolated; None outside the sweep."""
    ordered = sorted(points)
    xs, ys = [p[0] for p in ordered], [p[1] for p in ordered]
    if not xs[0] <= interactivity <= xs[-1]:
        return None
    return float(np.interp(interactivity, xs, ys))


# ---- fixtures ---------------------------------------------------------------------------------
@cache
def history_of(scale: HistoryScale, seed: int) -> History:
    return generate_history(seed=seed, scale=scale)


@cache
def sweeps_of(scale: HistoryScale, seed: int) -> dict[ConfigKey, dict[int, SweepPoints]]:
    """config → night → the sweep's points, read back from the submission bodies."""
    identity_fields = COMMON_KEYS[:10] + SINGLE_NODE_KEYS + MULTINODE_KEYS
    by_identity: dict[tuple[Any, ...], dict[int, SweepPoints]] = defaultdict(
        lambda: defaultdict(list)
    )
    example_rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for night in history_of(scale, seed).nights:
        for body in night.submissions:
            for row in body["results"]:
                identity = tuple(row.get(name) for name in identity_fields)
                example_rows.setdefault(identity, row)
                point = (row["median_intvty"], row["tput_per_gpu"])
                by_identity[identity][night.index].append(point)
    sweeps = {
        ConfigKey.from_config(canonical_config(example_rows[identity])): by_night
        for identity, by_night in by_identity.items()
    }
    assert len(sweeps) == len(by_identity)
    return sweeps


@cache
def levels_of(scale: HistoryScale, seed: int) -> dict[ConfigKey, dict[int, float]]:
    """config → night → frontier value at an interactivity inside all of its sweeps."""
    levels: dict[ConfigKey, dict[int, float]] = {}
    for key, by_night in sweeps_of(scale, seed).items():
        first = sorted(by_night[min(by_night)])
        target = first[len(first) // 2][0]
        values = {night: frontier_value(points, target) for night, points in by_night.items()}
        assert all(value is not None for value in values.values()), key.label
        levels[key] = {night: float(value) for night, value in values.items() if value}
    return levels


def disturbed_nights(history: History, key: ConfigKey) -> set[int]:
    nights = {outlier.night for outlier in history.outliers if outlier.config == key}
    nights |= {
        run.night
        for run in history.missing
        if run.config == key or (run.config is None and run.engine == key.framework)
    }
    return nights


def mean_level(levels: dict[int, float], nights: Iterable[int]) -> float | None:
    values = [levels[night] for night in nights if night in levels]
    return statistics.fmean(values) if len(values) >= 3 else None


CASES = [pytest.param(DEMO, 7, id="demo-7"), pytest.param(SMALL, 3, id="small-3")]


# ---- determinism and shape --------------------------------------------------------------------
def test_same_seed_gives_identical_bodies_and_another_seed_does_not() -> None:
    def dump(history: History) -> list[str]:
        return [json.dumps(body, sort_keys=True) for body in history.submissions()]

    first = dump(generate_history(seed=5, scale=SMALL))
    assert first == dump(generate_history(seed=5, scale=SMALL))
    other_seed = generate_history(seed=6, scale=SMALL)
    assert json.loads(first[0]) != next(other_seed.submissions())
    history = history_of(SMALL, 3)
    assert [json.dumps(b) for b in history.nights[4].submissions] == [
        json.dumps(b) for b in history.nights[4].submissions
    ]


@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_each_submission_is_one_engine_night_of_steady_size(scale: HistoryScale, seed: int) -> None:
    history = history_of(scale, seed)
    run_keys, sizes = set(), defaultdict(list)
    previous_commit: dict[str, str] = {}
    for night in history.nights:
        assert night.timestamp == DEFAULT_START + timedelta(days=night.index)
        for body in night.submissions:
            source = body["source"]
            assert body["format"] == "inferencex"
            assert {row["framework"] for row in body["results"]} == {source["engine"]}
            assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
            assert previous_commit.get(source["engine"]) != source["commit"]
            previous_commit[source["engine"]] = source["commit"]
            assert source["run_key"] not in run_keys
            run_keys.add(source["run_key"])
            assert source["branch"] == "main" and source["repo"].startswith("https://github.com/")
            assert source["run_url"].startswith("https://") and source["components"]
            assert source["engine_version"] in source["image"]
            stamp = datetime.fromisoformat(source["timestamp"].replace("Z", "+00:00"))
            assert source["timestamp"].endswith("Z") and stamp.tzinfo is not None
            assert stamp.date() == night.timestamp.date()
            sizes[source["engine"]].append(len(body["results"]))
    assert set(sizes) == {engine.name for engine in ENGINES}
    for engine, counts in sizes.items():
        # Constant but for a config missing now and then (7–8 rows each).
        typical = statistics.median(counts)
        assert all(abs(count - typical) <= max(0.15 * typical, 16) for count in counts), engine


def test_rows_carry_the_fields_ingest_requires() -> None:
    history = history_of(SMALL, 3)
    kinds = set()
    for body in history.submissions():
        for row in body["results"]:
            missing = [k for k in COMMON_KEYS + LATENCY_KEYS + INTERACTIVITY_KEYS if k not in row]
            assert not missing, missing
            multinode = row["is_multinode"]
            kinds.add(multinode)
            assert row["disagg"] is multinode
            assert all((k in row) is multinode for k in MULTINODE_KEYS)
            assert all((k in row) is not multinode for k in SINGLE_NODE_KEYS)
            for name in ("tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu"):
                assert math.isfinite(row[name]) and row[name] > 0
            for name in LATENCY_KEYS + INTERACTIVITY_KEYS:
                assert math.isfinite(row[name]) and row[name] > 0, name
            assert row["median_intvty"] == pytest.approx(1 / row["median_tpot"])
            assert row["median_ttft"] < row["median_e2el"] < 2000
            assert row["median_tpot"] <= row["p90_tpot"] <= row["p99_tpot"] <= row["p99.9_tpot"]
            gpus = row["num_prefill_gpu"] + row["num_decode_gpu"] if multinode else row["tp"]
            total = row["tput_per_gpu"] * gpus
            if multinode:
                parts = row["output_tput_per_gpu"] * row["num_decode_gpu"] + (
                    row["input_tput_per_gpu"] * row["num_prefill_gpu"]
                )
            else:
                parts = (row["output_tput_per_gpu"] + row["input_tput_per_gpu"]) * gpus
            assert parts == pytest.approx(total)
    assert kinds == {True, False}


# ---- realism ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("scale", "seed"), [*CASES, pytest.param(BENCHMARK, 7, id="bench-7")])
def test_sweeps_trade_interactivity_for_throughput_and_span_the_targets(
    scale: HistoryScale, seed: int
) -> None:
    history = history_of(scale, seed)
    spans_35 = spans_125 = 0
    first_night = history.nights[0]
    sweeps: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for body in first_night.submissions:
        for row in body["results"]:
            sweeps[(body["source"]["engine"], json.dumps(canonical_config(row)))].append(row)
    assert len(sweeps) >= 0.95 * len(history.configs)
    for rows in sweeps.values():
        rows.sort(key=lambda row: row["conc"])
        assert 7 <= len(rows) <= 8
        throughput = [row["tput_per_gpu"] for row in rows]
        interactivity = [row["median_intvty"] for row in rows]
        assert all(b > a for a, b in itertools.pairwise(throughput))
        assert interactivity[-1] < 0.6 * interactivity[0]
        assert rows[-1]["median_ttft"] > rows[0]["median_ttft"]
        spans_35 += min(interactivity) < 35 < max(interactivity)
        spans_125 += min(interactivity) < 125 < max(interactivity)
        assert 20 < max(throughput) < 40_000
    assert spans_35 >= 0.75 * len(sweeps)
    if len(sweeps) >= 50:  # a small fleet's handful of configs may all be slower than that
        assert spans_125 >= 0.1 * len(sweeps)


def reference_frontier(engine: str, gpu: str, label_part: str, precision: str) -> float:
    """Noise-free throughput at 35 tok/s/user of a catalogue config (1k/1k, no MTP)."""
    specs: list[ConfigSpec] = [
        spec
        for spec in candidate_configs(ENGINES_BY_NAME[engine])
        if spec.gpu.name == gpu
        and spec.precision == precision
        and (spec.isl, spec.osl) == (1024, 1024)
        and spec.spec_method == "none"
        and spec.key.label.endswith(label_part)
    ]
    assert specs, (engine, gpu, label_part)
    curve = design_curve(
        specs[0], efficiency_jitter=1.0, knee_exponent=0.92, mtp_tokens_per_step=2.5
    )
    concurrency = np.geomspace(1, 20_000, 200)[None, :]
    metrics = sweep_metrics(
        table=CurveTable.from_curves([curve]),
        config_indices=np.array([0]),
        concurrency=concurrency,
        level=np.array([1.0]),
        rng=np.random.default_rng(0),
    )[0]
    points = list(
        zip(
            metrics[:, METRIC_NAMES.index("median_intvty")].tolist(),
            metrics[:, METRIC_NAMES.index("tput_per_gpu")].tolist(),
            strict=True,
        )
    )
    value = frontier_value(points, 35.0)
    assert value is not None
    return value


def test_hardware_ranks_as_the_dashboard_shows() -> None:
    def dsr1(gpu: str) -> float:
        return reference_frontier("sglang", gpu, "deepseek-r1-0528 fp8 1k/1k tp8", "fp8")

    assert dsr1("mi300x") < dsr1("mi325x") < dsr1("mi355x")
    assert dsr1("h200") < dsr1("b200") < dsr1("b300")
    assert 0.75 < dsr1("mi355x") / dsr1("b200") < 1.25
    assert 150 < dsr1("h200") < 1500

    def llama(gpu: str) -> float:
        return reference_frontier("trt", gpu, "llama-3.3-70b-instruct fp8 1k/1k tp8", "fp8")

    assert llama("h100") < llama("h200") < llama("b200")
    wide_gb200 = reference_frontier("dynamo-trt", "gb200", "D(tp72ep72dpa)", "fp4")
    wide_gb300 = reference_frontier("dynamo-trt", "gb300", "D(tp72ep72dpa)", "fp4")
    b200 = reference_frontier("trt", "b200", "deepseek-r1-0528 fp4 1k/1k tp8", "fp4")
    assert b200 < wide_gb200 < wide_gb300 < 15_000


# ---- ground truth -----------------------------------------------------------------------------
@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_true_changes_move_their_configs_by_the_stated_factor(
    scale: HistoryScale, seed: int
) -> None:
    history, levels = history_of(scale, seed), levels_of(scale, seed)
    errors = []
    for change in history.true_changes:
        assert change.configs and change.commit and change.engine_version
        for key in change.configs:
            assert key.framework == change.engine
            others = [c.night for c in history.changes_of(key) if c is not change]
            lo = max([n for n in others if n < change.night] + [change.night - 15])
            hi = min([n for n in others if n > change.night] + [change.night + 15])
            calm = disturbed_nights(history, key)
            before = mean_level(levels[key], (n for n in range(lo, change.night) if n not in calm))
            after = mean_level(levels[key], (n for n in range(change.night, hi) if n not in calm))
            assert before and after, (change.description, key.label)
            error = (after / before) / (1 + change.relative_change) - 1
            errors.append(abs(error))
            assert abs(error) < 0.05, (change.description, key.label, error)
    assert statistics.median(errors) < 0.015


@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_outlier_nights_are_low_by_their_factor(scale: HistoryScale, seed: int) -> None:
    history, levels = history_of(scale, seed), levels_of(scale, seed)
    assert history.outliers
    for outlier in history.outliers:
        key, night = outlier.config, outlier.night
        assert 0.55 <= outlier.factor <= 0.86
        true_level = history.true_levels[key]
        calm = disturbed_nights(history, key)
        neighbours = [
            n
            for n in range(night - 5, night + 6)
            if n not in calm and 0 <= n < len(true_level) and true_level[n] == true_level[night]
        ]
        normal = mean_level(levels[key], neighbours)
        assert normal, (key.label, night)
        assert levels[key][night] / normal == pytest.approx(outlier.factor, rel=0.1)


@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_quiet_configs_stay_within_noise(scale: HistoryScale, seed: int) -> None:
    history, levels = history_of(scale, seed), levels_of(scale, seed)
    changed = {key for change in history.true_changes for key in change.configs}
    assert history.quiet_configs
    assert set(history.quiet_configs) == set(history.configs) - changed
    for key in history.quiet_configs:
        calm = disturbed_nights(history, key)
        values = [value for night, value in levels[key].items() if night not in calm]
        typical = statistics.median(values)
        assert all(abs(value / typical - 1) < 0.12 for value in values), key.label
        third = len(values) // 3
        assert statistics.fmean(values[:third]) == pytest.approx(
            statistics.fmean(values[-third:]), rel=0.035
        )
        assert set(history.true_levels[key]) == {1.0}


@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_missing_runs_are_absent_and_everything_else_is_there(
    scale: HistoryScale, seed: int
) -> None:
    history, sweeps = history_of(scale, seed), sweeps_of(scale, seed)
    assert any(run.config is None for run in history.missing)
    assert any(run.config is not None for run in history.missing)
    engines_by_night = {
        night.index: {plan.engine.name for plan in night.planned} for night in history.nights
    }
    outliers = {(outlier.night, outlier.config) for outlier in history.outliers}
    for key in history.configs:
        disturbed = disturbed_nights(history, key)
        expected = {
            night.index
            for night in history.nights
            if night.index not in disturbed or (night.index, key) in outliers
        }
        assert set(sweeps[key]) == expected, key.label
    for run in history.missing:
        if run.config is None:
            assert run.engine not in engines_by_night[run.night]


@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_scenario_has_the_events_a_replay_needs(scale: HistoryScale, seed: int) -> None:
    history = history_of(scale, seed)
    kinds = defaultdict(list)
    for change in history.true_changes:
        kinds[change.kind].append(change)
        assert 0.03 <= abs(change.relative_change) <= 0.25
        level = history.true_levels[change.configs[0]]
        assert level[change.night] / level[change.night - 1] == pytest.approx(
            1 + change.relative_change
        )
    campaign = kinds["campaign-step"]
    assert 3 <= len(campaign) <= 4
    total = math.prod(1 + step.relative_change for step in campaign)
    assert total == pytest.approx(1.21)
    assert all(step.engine == "dynamo-trt" for step in campaign)
    assert all(key.hardware == "gb200" for key in campaign[0].configs)
    assert campaign[-1].night - campaign[0].night >= 14
    for regression in kinds["regression"]:
        fix = next(c for c in kinds["fix"] if c.configs == regression.configs)
        assert fix.night - regression.night == 7
        assert (1 + regression.relative_change) * (1 + fix.relative_change) == pytest.approx(1)
    assert kinds["regression"] and kinds["single-config"]
    assert any(len(change.configs) >= 2 for change in kinds["engine-wide"])
    assert any(c.relative_change < 0 for c in history.true_changes)
    assert any(c.relative_change > 0 for c in history.true_changes)
    # Versions advance exactly when an engine ships a change.
    change_nights = {(c.engine, c.night) for c in history.true_changes}
    last_version: dict[str, str] = {}
    for night in history.nights:
        for plan in night.planned:
            engine, version = plan.engine.name, plan.source["engine_version"]
            if engine in last_version:
                bumped = version != last_version[engine]
                assert bumped == ((engine, night.index) in change_nights)
            last_version[engine] = version


# ---- scales -----------------------------------------------------------------------------------
def test_scale_presets_meet_their_row_counts() -> None:
    small, demo, bench = history_of(SMALL, 3), history_of(DEMO, 7), history_of(BENCHMARK, 7)
    assert 2_000 <= small.row_count <= 10_000
    assert 60_000 <= demo.row_count <= 100_000
    assert len(demo.nights) == 180
    assert {key.hardware for key in demo.configs} == set(GPUS)
    assert {key.framework for key in demo.configs} == {engine.name for engine in ENGINES}
    assert bench.row_count >= 200_000
    sizes = [plan.row_count for night in bench.nights for plan in night.planned]
    assert 450 <= statistics.fmean(sizes) <= 550 and min(sizes) >= 400
    for night in bench.nights[:3]:
        assert [len(body["results"]) for body in night.submissions] == [
            plan.row_count for plan in night.planned
        ]
    assert bench.submission_count == len(sizes)


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="nights"):
        generate_history(nights=10, scale=SMALL)
    with pytest.raises(ValueError, match="time zone"):
        generate_history(start=datetime(2026, 5, 1), scale=SMALL)  # noqa: DTZ001
    custom = generate_history(nights=31, start=datetime(2026, 1, 1, tzinfo=UTC), scale=SMALL)
    assert len(custom.nights) == 31
    assert custom.nights[0].timestamp == datetime(2026, 1, 1, tzinfo=UTC)
