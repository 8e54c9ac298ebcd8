"""Processed InferenceX rows and submission bodies, built on demand from compact plans.

A history holds, per engine and night, only which configs ran and at what level; the JSON bodies
(about 1.5 kB a row) are built when asked for, so iterating a 200,000-row history stays small in
memory and building it again gives identical bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracker.demo.simulation.catalogue import Engine, row_image
from tracker.demo.simulation.configs import ConfigKey, ConfigSpec
from tracker.demo.simulation.curves import (
    METRIC_NAMES,
    CurveTable,
    design_curve,
    sweep_concurrencies,
    sweep_metrics,
)

JsonObject = dict[str, Any]
MAX_POINTS = 8


def _flag(value: bool | None) -> str:
    # InferenceX writes the DP-attention flags as the strings its workflow passes in.
    return "true" if value else "false"


def fixed_row_fields(spec: ConfigSpec) -> JsonObject:
    """The fields every row of a config carries, after `hw`, `conc` and `image`."""
    topology = spec.topology
    fields: JsonObject = {
        "model": spec.model.model_id,
        "infmax_model_prefix": spec.model.prefix,
        "framework": spec.engine.name,
        "precision": spec.precision,
        "spec_decoding": spec.spec_method,
        "disagg": topology.is_multinode,
        "isl": spec.isl,
        "osl": spec.osl,
        "is_multinode": topology.is_multinode,
    }
    if not topology.is_multinode:
        return fields | {
            "tp": topology.tp,
            "ep": topology.ep,
            "dp_attention": _flag(topology.dp_attention),
        }
    return fields | {
        "prefill_tp": topology.prefill_tp,
        "prefill_ep": topology.prefill_ep,
        "prefill_dp_attention": _flag(topology.prefill_dp_attention),
        "prefill_num_workers": topology.prefill_num_workers,
        "decode_tp": topology.decode_tp,
        "decode_ep": topology.decode_ep,
        "decode_dp_attention": _flag(topology.decode_dp_attention),
        "decode_num_workers": topology.decode_num_workers,
        "num_prefill_gpu": topology.num_prefill_gpu,
        "num_decode_gpu": topology.num_decode_gpu,
    }


@dataclass(frozen=True, eq=False)
class Fleet:
    """Every simulated config: identity, baseline curve, sweep concurrencies, fixed row fields."""

    specs: tuple[ConfigSpec, ...]
    keys: tuple[ConfigKey, ...]
    curves: CurveTable
    concurrency: np.ndarray  # (configs, MAX_POINTS); short sweeps padded with their last value
    point_counts: np.ndarray  # (configs,) points actually swept
    row_fields: tuple[JsonObject, ...]


def build_fleet(specs: Sequence[ConfigSpec], rng: np.random.Generator) -> Fleet:
    """Design each config's curve (with a little per-config variety) and its sweep."""
    curves = []
    for spec in specs:
        curves.append(
            design_curve(
                spec,
                efficiency_jitter=float(np.exp(rng.normal(0.0, 0.07))),
                knee_exponent=float(rng.uniform(0.85, 1.0)),
                mtp_tokens_per_step=float(rng.uniform(2.2, 2.8)),
            )
        )
    concurrency = np.zeros((len(specs), MAX_POINTS))
    point_counts = np.zeros(len(specs), dtype=int)
    for index, (spec, curve) in enumerate(zip(specs, curves, strict=True)):
        sweep = sweep_concurrencies(curve, multinode=spec.topology.is_multinode)
        concurrency[index, :] = sweep[-1]
        concurrency[index, : len(sweep)] = sweep
        point_counts[index] = len(sweep)
    return Fleet(
        specs=tuple(specs),
        keys=tuple(spec.key for spec in specs),
        curves=CurveTable.from_curves(curves),
        concurrency=concurrency,
        point_counts=point_counts,
        row_fields=tuple(fixed_row_fields(spec) for spec in specs),
    )


def frontier_throughput(
    fleet: Fleet, index: int, interactivity: float, level: float
) -> float | None:
    """A config's `tput_per_gpu` at a fixed interactivity on a night of throughput `level`,
    without noise; None where its sweep does not reach that interactivity (never extrapolated)."""
    table = fleet.curves
    load = table.interactivity_at_zero_load_tok_s[index] / interactivity - 1.0
    if load <= 0:
        return None
    concurrency = (
        level * table.saturation_concurrency[index] * load ** (1.0 / table.knee_exponent[index])
    )
    swept = fleet.concurrency[index, : int(fleet.point_counts[index])]
    if not swept.min() <= concurrency <= swept.max():
        return None
    metrics = sweep_metrics(
        table=table,
        config_indices=np.array([index]),
        concurrency=np.array([[concurrency]]),
        level=np.array([level]),
        rng=np.random.default_rng(0),  # point jitter of one draw (0.4 %): a planning estimate
    )
    return float(metrics[0, 0, METRIC_NAMES.index("tput_per_gpu")])


@dataclass(frozen=True, eq=False)
class PlannedSubmission:
    """One engine's run of one night: which configs ran, at which level; the body on demand."""

    night: int
    engine: Engine
    source: Mapping[str, Any]
    config_indices: np.ndarray
    levels: np.ndarray  # each config's throughput level this night (noise and outliers included)
    fleet: Fleet
    jitter_seed: tuple[int, ...]
    ttft_levels: np.ndarray | None = None  # each config's time-to-first-token factor (None: 1)

    @property
    def row_count(self) -> int:
        """Rows the body will carry."""
        return int(self.fleet.point_counts[self.config_indices].sum())

    @property
    def run_key(self) -> str:
        """The submission's idempotency key."""
        return str(self.source["run_key"])

    def body(self) -> JsonObject:
        """The complete `POST /api/v1/submissions` body (a fresh object on every call)."""
        fleet = self.fleet
        metrics = sweep_metrics(
            table=fleet.curves,
            config_indices=self.config_indices,
            concurrency=fleet.concurrency[self.config_indices],
            level=self.levels,
            rng=np.random.default_rng(self.jitter_seed),
            ttft_level=self.ttft_levels,
        ).tolist()
        version = str(self.source["engine_version"])
        results: list[JsonObject] = []
        for position, config_index in enumerate(self.config_indices.tolist()):
            spec = fleet.specs[config_index]
            hw, image = spec.gpu.runner_name, row_image(self.engine, spec.gpu, version)
            fields = fleet.row_fields[config_index]
            sweep = fleet.concurrency[config_index].tolist()
            for point in range(int(fleet.point_counts[config_index])):
                row: JsonObject = {"hw": hw, "conc": int(sweep[point]), "image": image}
                row.update(fields)
                row.update(zip(METRIC_NAMES, metrics[position][point], strict=True))
                results.append(row)
        source = dict(self.source)
        source["components"] = dict(self.source["components"])
        return {"source": source, "format": "inferencex", "results": results}
