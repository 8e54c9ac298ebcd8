"""The sweep curve model: how interactivity, latency and throughput move with concurrency.

Per-user decode speed falls with concurrency c as I(c) = I0 / (1 + (c / c0)^a) (a ≤ 1, so
throughput keeps rising and every point stays on the Pareto front). Time to first token grows with
load as TTFT(c) = TTFT0 · (1 + c / ct). Requests complete at the rate c / E2EL (Little's law), with
E2EL = TTFT + (OSL − 1) · TPOT, which gives output, input and total throughput.

A night's throughput level m (1.0 = the config's baseline) scales the capacity terms c0 and ct.
At any fixed interactivity x this scales throughput by exactly m — c solving I(c) = x becomes
m·c while TTFT and E2EL stay the same — so the frontier value at every target moves by the factor
the ground truth states, while the sweep's points move along the curve as a real speed-up would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from tracker.demo.simulation.catalogue import AMD_FP4_FACTOR, AMD_PORT_FACTOR
from tracker.demo.simulation.configs import ConfigSpec, Topology

METRIC_NAMES: tuple[str, ...] = (
    "tput_per_gpu",
    "output_tput_per_gpu",
    "input_tput_per_gpu",
    "mean_ttft",
    "median_ttft",
    "std_ttft",
    "p90_ttft",
    "p99_ttft",
    "p99.9_ttft",
    "mean_tpot",
    "mean_intvty",
    "median_tpot",
    "median_intvty",
    "std_tpot",
    "std_intvty",
    "p90_tpot",
    "p90_intvty",
    "p99_tpot",
    "p99_intvty",
    "p99.9_tpot",
    "p99.9_intvty",
    "mean_itl",
    "median_itl",
    "std_itl",
    "p90_itl",
    "p99_itl",
    "p99.9_itl",
    "mean_e2el",
    "median_e2el",
    "std_e2el",
    "p90_e2el",
    "p99_e2el",
    "p99.9_e2el",
)
"""Metric keys of a processed InferenceX row, in the order `process_result.py` writes them."""

POINT_JITTER = 0.004
"""Relative per-point noise on speed, TTFT and throughput (the night's noise is on the level)."""


@dataclass(frozen=True)
class SweepCurve:
    """One config's baseline curve (level 1.0)."""

    interactivity_at_zero_load_tok_s: float  # I0
    saturation_concurrency: float  # c0: where per-user speed has halved
    knee_exponent: float  # a
    ttft_at_zero_load_s: float  # TTFT0
    ttft_knee_concurrency: float  # ct: where TTFT has doubled
    tokens_per_decode_step: float  # ITL / TPOT: 1, or about 2.5 with MTP
    isl: int
    osl: int
    total_gpus: int  # divisor of tput_per_gpu
    output_gpus: int  # divisor of output_tput_per_gpu (decode GPUs on multinode)
    input_gpus: int  # divisor of input_tput_per_gpu (prefill GPUs on multinode)

    def interactivity_tok_s(self, concurrency: float, level: float = 1.0) -> float:
        """Median per-user decode speed at a concurrency, without noise."""
        load = (concurrency / (level * self.saturation_concurrency)) ** self.knee_exponent
        return float(self.interactivity_at_zero_load_tok_s / (1.0 + load))


def _topology_factors(topology: Topology, nvl72: bool) -> tuple[float, float]:
    """(interactivity, capacity per decode GPU) relative to a plain TP8 node."""
    if not topology.is_multinode:
        tp = topology.tp or 8
        speed, capacity = (tp / 8) ** 0.35, (8 / tp) ** 0.2
        if topology.dp_attention:
            speed, capacity = speed * 0.85, capacity * 1.35
        return speed, capacity
    decode_tp = topology.decode_tp or 8
    decode_ep = topology.decode_ep or 1
    if decode_ep > 8:
        # Wide expert parallelism: bigger batches per expert, a little slower per user.
        fabric = 1.1 if nvl72 else 0.95
        return 0.9, (1.8 + 0.3 * math.log2(decode_ep / 16)) * fabric
    if topology.decode_dp_attention:
        return 0.95 * 1.08, 1.6
    if decode_tp > 8:
        return 1.0, 1.3 * 0.9
    return 1.08 * (decode_tp / 8) ** 0.35, 1.3 * (8 / decode_tp) ** 0.2


def _sequence_factors(isl: int, osl: int, disaggregated: bool) -> tuple[float, float]:
    """(interactivity, output capacity) relative to 1k/1k: long prompts crowd out decode."""
    if isl > osl:
        return (0.92, 0.8) if disaggregated else (0.85, 0.42)
    if osl > isl:
        return 0.93, 0.8
    return 1.0, 1.0


def design_curve(
    spec: ConfigSpec, *, efficiency_jitter: float, knee_exponent: float, mtp_tokens_per_step: float
) -> SweepCurve:
    """The baseline curve of one config from the catalogue's factors.

    `efficiency_jitter` (≈ 1) makes configs of one family differ a little, as real ones do;
    `knee_exponent` (0.85–1) shapes how sharply per-user speed falls; `mtp_tokens_per_step` is the
    mean number of tokens one MTP decode step emits.
    """
    engine = spec.engine
    gpu, model, topology = spec.gpu, spec.model, spec.topology
    level = model.levels[spec.precision]
    topology_speed, topology_capacity = _topology_factors(topology, gpu.nvl72)
    sequence_speed, sequence_capacity = _sequence_factors(spec.isl, spec.osl, topology.is_multinode)
    speed = level.interactivity_tok_s * gpu.interactivity_factor * topology_speed * sequence_speed
    capacity = (
        level.capacity_tok_s_per_gpu
        * gpu.capacity_factor
        * topology_capacity
        * sequence_capacity
        * engine.efficiency
        * efficiency_jitter
    )
    if gpu.vendor == "amd" and spec.precision == "fp4":
        speed, capacity = speed * AMD_FP4_FACTOR, capacity * AMD_FP4_FACTOR
    if gpu.vendor == "amd" and engine.name in ("sglang", "vllm"):
        capacity *= AMD_PORT_FACTOR
    tokens_per_step = 1.0
    if spec.spec_method == "mtp":
        speed, capacity = speed * 1.9, capacity * 1.1
        tokens_per_step = mtp_tokens_per_step
    saturation_concurrency = capacity * topology.num_decode_gpu / speed

    prefill_tp = topology.prefill_tp if topology.is_multinode else topology.tp
    prefill_s = model.prefill_s_per_1k_tokens * spec.isl / 1024 / gpu.capacity_factor**0.8
    prefill_s *= (8 / (prefill_tp or 8)) ** 0.6 * (0.8 if spec.precision == "fp4" else 1.0)
    if topology.is_multinode:
        prefill_s *= 0.8
        ttft_knee = saturation_concurrency * 0.7
    else:
        ttft_knee = saturation_concurrency * (0.5 if spec.isl <= 1024 else 0.4)

    total_gpus = topology.gpus
    return SweepCurve(
        interactivity_at_zero_load_tok_s=speed,
        saturation_concurrency=saturation_concurrency,
        knee_exponent=knee_exponent,
        ttft_at_zero_load_s=0.03 + prefill_s,
        ttft_knee_concurrency=ttft_knee,
        tokens_per_decode_step=tokens_per_step,
        isl=spec.isl,
        osl=spec.osl,
        total_gpus=total_gpus,
        output_gpus=topology.num_decode_gpu if topology.is_multinode else total_gpus,
        input_gpus=topology.num_prefill_gpu if topology.is_multinode else total_gpus,
    )


def sweep_concurrencies(curve: SweepCurve, *, multinode: bool) -> tuple[int, ...]:
    """The concurrencies a config is swept at.

    Single nodes: 4 … 256, and 512 when the config saturates late. Multinode: eight doublings
    starting near c0 / 16 (at most 64), so wide-EP configs with many decode GPUs are swept
    up to thousands.
    """
    c0 = curve.saturation_concurrency
    if not multinode:
        return tuple(4 * 2**k for k in range(8 if c0 >= 150 else 7))
    start = min(64, max(4, 2 ** math.floor(math.log2(max(c0 / 16, 1.0)))))
    return tuple(start * 2**k for k in range(8))


@dataclass(frozen=True, eq=False)
class CurveTable:
    """Every config's curve parameters as arrays (one entry per config), for vectorised sweeps."""

    interactivity_at_zero_load_tok_s: np.ndarray
    saturation_concurrency: np.ndarray
    knee_exponent: np.ndarray
    ttft_at_zero_load_s: np.ndarray
    ttft_knee_concurrency: np.ndarray
    tokens_per_decode_step: np.ndarray
    isl: np.ndarray
    osl: np.ndarray
    total_gpus: np.ndarray
    output_gpus: np.ndarray
    input_gpus: np.ndarray

    @classmethod
    def from_curves(cls, curves: list[SweepCurve]) -> CurveTable:
        """Stack curves into columns."""
        columns = {
            field.name: np.array([getattr(curve, field.name) for curve in curves], dtype=float)
            for field in fields(SweepCurve)
        }
        return cls(**columns)


def sweep_metrics(
    *,
    table: CurveTable,
    config_indices: np.ndarray,
    concurrency: np.ndarray,
    level: np.ndarray,
    rng: np.random.Generator,
    ttft_level: np.ndarray | None = None,
) -> np.ndarray:
    """Metrics of several sweeps at once, shaped (configs, points, len(METRIC_NAMES)).

    `concurrency` is (configs, points) (pad with any positive value; padded points are simply
    not used); `level` is each config's throughput level this night; `ttft_level` (default 1)
    scales each config's time to first token at every load, a latency change that leaves the
    decode speed alone. Latencies are in seconds, interactivity in tok/s/user, throughput in
    tok/s/GPU.
    """

    def column(values: np.ndarray) -> np.ndarray:
        selected: np.ndarray = values[config_indices][:, None]
        return selected

    shape = concurrency.shape
    scale = level[:, None]
    jitter = np.exp(rng.normal(0.0, POINT_JITTER, size=(3, *shape)))
    load_ratio = concurrency / (scale * column(table.saturation_concurrency))
    interactivity = column(table.interactivity_at_zero_load_tok_s) / (
        1.0 + load_ratio ** column(table.knee_exponent)
    )
    median_tpot = jitter[0] / interactivity
    busy = concurrency / (concurrency + scale * column(table.saturation_concurrency))
    median_ttft = (
        column(table.ttft_at_zero_load_s)
        * (1.0 + concurrency / (scale * column(table.ttft_knee_concurrency)))
        * jitter[1]
    )
    if ttft_level is not None:
        median_ttft = median_ttft * ttft_level[:, None]
    mean_ttft = median_ttft * (1.08 + 0.12 * busy)
    mean_tpot = median_tpot * 1.008
    osl, isl = column(table.osl), column(table.isl)
    mean_e2el = mean_ttft + (osl - 1.0) * mean_tpot
    median_e2el = median_ttft + (osl - 1.0) * median_tpot
    request_rate = concurrency / mean_e2el * jitter[2]
    output_tok_s, input_tok_s = request_rate * osl, request_rate * isl
    tpot_tail = (1.05, 1.09, 1.11)
    tpot_by_tail = [median_tpot * factor for factor in tpot_tail]
    median_itl = median_tpot * column(table.tokens_per_decode_step) * 0.98
    std_tpot = median_tpot * 0.03
    metrics = (
        (output_tok_s + input_tok_s) / column(table.total_gpus),
        output_tok_s / column(table.output_gpus),
        input_tok_s / column(table.input_gpus),
        mean_ttft,
        median_ttft,
        median_ttft * (0.3 + 0.5 * busy),
        median_ttft * (1.4 + 0.6 * busy),
        median_ttft * (2.0 + 3.0 * busy),
        median_ttft * (2.4 + 3.6 * busy),
        mean_tpot,
        1.0 / mean_tpot,
        median_tpot,
        1.0 / median_tpot,
        std_tpot,
        1.0 / std_tpot,
        tpot_by_tail[0],
        1.0 / tpot_by_tail[0],
        tpot_by_tail[1],
        1.0 / tpot_by_tail[1],
        tpot_by_tail[2],
        1.0 / tpot_by_tail[2],
        median_itl * 1.04,
        median_itl,
        median_itl * (0.2 + 0.3 * busy),
        median_itl * (1.3 + 0.3 * busy),
        median_itl * (1.6 + 1.4 * busy),
        median_itl * (2.2 + 2.3 * busy),
        mean_e2el,
        median_e2el,
        median_e2el * 0.07,
        median_e2el * 1.06,
        median_e2el * 1.12,
        median_e2el * 1.15,
    )
    assert len(metrics) == len(METRIC_NAMES)
    stacked: np.ndarray = np.stack(metrics, axis=-1)
    return stacked
