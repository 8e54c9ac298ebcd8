"""Configs of the simulated fleet: their canonical identity, topology and which ones a scale runs.

A `ConfigKey` holds exactly the canonical config fields of docs/configs.md, after normalisation (the
`hardware` is the tracker's name, `mi355x`, never the runner's `mi355x-amd`; the model id is lower
case; booleans are booleans; fields a row shape does not carry are None). `ConfigKey.as_dict()`
therefore equals the `config` object the API returns for the series that the config's rows create,
which is how ground truth is matched to series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from tracker.demo.simulation.catalogue import (
    ENGINES,
    GPUS,
    MODELS,
    SEQUENCE_LENGTHS,
    Engine,
    Gpu,
    Model,
)

SCENARIO = "fixed-seq-len"


@dataclass(frozen=True)
class Topology:
    """How a config's GPUs are arranged: one node (`tp`…) or prefill/decode workers."""

    tp: int | None = None
    ep: int | None = None
    dp_attention: bool | None = None
    prefill_tp: int | None = None
    prefill_ep: int | None = None
    prefill_dp_attention: bool | None = None
    prefill_num_workers: int | None = None
    decode_tp: int | None = None
    decode_ep: int | None = None
    decode_dp_attention: bool | None = None
    decode_num_workers: int | None = None

    @property
    def is_multinode(self) -> bool:
        """True for disaggregated prefill/decode topologies (the v2 multinode row shape)."""
        return self.prefill_tp is not None

    @property
    def num_prefill_gpu(self) -> int:
        """GPUs in all prefill workers (0 on a single node)."""
        return (self.prefill_tp or 0) * (self.prefill_num_workers or 0)

    @property
    def num_decode_gpu(self) -> int:
        """GPUs in all decode workers; on a single node, the node's GPUs."""
        if not self.is_multinode:
            return self.tp or 0
        return (self.decode_tp or 0) * (self.decode_num_workers or 0)

    @property
    def gpus(self) -> int:
        """Every GPU the config occupies (what `tput_per_gpu` divides by)."""
        return self.num_prefill_gpu + self.num_decode_gpu

    @property
    def wide_ep(self) -> bool:
        """Decode expert parallelism beyond one 8-GPU node or across DP-attention ranks (§3)."""
        if self.is_multinode:
            decode_ep = self.decode_ep or 1
            return decode_ep > 8 or (bool(self.decode_dp_attention) and decode_ep > 1)
        ep = self.ep or 1
        return ep > 8 or (bool(self.dp_attention) and ep > 1)

    def label(self) -> str:
        """Short name, e.g. `tp8-ep8-dpa` or `1xP(tp4ep4dpa)+1xD(tp48ep48dpa)`."""
        if not self.is_multinode:
            return _worker_label(self.tp, self.ep, self.dp_attention, prefix="tp")
        prefill = _worker_label(self.prefill_tp, self.prefill_ep, self.prefill_dp_attention)
        decode = _worker_label(self.decode_tp, self.decode_ep, self.decode_dp_attention)
        return f"{self.prefill_num_workers}xP({prefill})+{self.decode_num_workers}xD({decode})"


def _worker_label(
    tp: int | None, ep: int | None, dp_attention: bool | None, prefix: str = ""
) -> str:
    separator = "-" if prefix else ""
    text = f"{prefix}{tp}" if prefix else f"tp{tp}"
    if ep and ep > 1:
        text += f"{separator}ep{ep}"
    if dp_attention:
        text += f"{separator}dpa"
    return text


@dataclass(frozen=True)
class ConfigKey:
    """The canonical config fields of docs/configs.md (the config key plus `scenario`)."""

    hardware: str
    framework: str
    model: str
    precision: str
    spec_method: str
    disagg: bool
    is_multinode: bool
    isl: int
    osl: int
    scenario: str
    tp: int | None
    ep: int | None
    pp: int | None
    dcp_size: int | None
    pcp_size: int | None
    dp_attention: bool | None
    prefill_tp: int | None
    prefill_ep: int | None
    prefill_pp: int | None
    prefill_dcp_size: int | None
    prefill_pcp_size: int | None
    prefill_dp_attention: bool | None
    prefill_num_workers: int | None
    decode_tp: int | None
    decode_ep: int | None
    decode_pp: int | None
    decode_dcp_size: int | None
    decode_pcp_size: int | None
    decode_dp_attention: bool | None
    decode_num_workers: int | None
    num_prefill_gpu: int | None
    num_decode_gpu: int | None

    def as_dict(self) -> dict[str, str | int | bool | None]:
        """The canonical field dict, as the tracker's API reports a series' `config`."""
        return asdict(self)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConfigKey:
        """The key of a canonical config object (extra fields such as `model_prefix`, `gpus`
        or `wide_ep` are ignored; a missing field is a KeyError)."""
        return cls(**{name: config[name] for name in _KEY_FIELDS})

    @property
    def label(self) -> str:
        """A readable one-line name, e.g. `sglang mi355x dsr1 fp8 1k/1k tp8-ep8-dpa mtp`."""
        topology = Topology(
            tp=self.tp,
            ep=self.ep,
            dp_attention=self.dp_attention,
            prefill_tp=self.prefill_tp,
            prefill_ep=self.prefill_ep,
            prefill_dp_attention=self.prefill_dp_attention,
            prefill_num_workers=self.prefill_num_workers,
            decode_tp=self.decode_tp,
            decode_ep=self.decode_ep,
            decode_dp_attention=self.decode_dp_attention,
            decode_num_workers=self.decode_num_workers,
        )
        model_name = self.model.rsplit("/", 1)[-1]
        parts = [
            self.framework,
            self.hardware,
            model_name,
            self.precision,
            f"{self.isl // 1024}k/{self.osl // 1024}k",
            topology.label(),
        ]
        if self.spec_method != "none":
            parts.append(self.spec_method)
        return " ".join(parts)


_KEY_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(ConfigKey))


@dataclass(frozen=True)
class ConfigSpec:
    """One config a simulated engine runs: its identity and what its performance derives from."""

    engine: Engine
    gpu: Gpu
    model: Model
    precision: str
    spec_method: str
    topology: Topology
    isl: int
    osl: int

    @property
    def key(self) -> ConfigKey:
        """The canonical config this spec's rows normalise to."""
        topology = self.topology
        single = not topology.is_multinode

        def single_only(value: int | bool | None) -> int | bool | None:
            return value if single else None

        def multi_only(value: int | bool | None) -> int | bool | None:
            return None if single else value

        return ConfigKey(
            hardware=self.gpu.name,
            framework=self.engine.name,
            model=self.model.model_id.lower(),
            precision=self.precision,
            spec_method=self.spec_method,
            disagg=topology.is_multinode,
            is_multinode=topology.is_multinode,
            isl=self.isl,
            osl=self.osl,
            scenario=SCENARIO,
            tp=topology.tp,
            ep=topology.ep,
            pp=_int(single_only(1)),
            dcp_size=_int(single_only(1)),
            pcp_size=_int(single_only(1)),
            dp_attention=topology.dp_attention,
            prefill_tp=topology.prefill_tp,
            prefill_ep=topology.prefill_ep,
            prefill_pp=_int(multi_only(1)),
            prefill_dcp_size=_int(multi_only(1)),
            prefill_pcp_size=_int(multi_only(1)),
            prefill_dp_attention=topology.prefill_dp_attention,
            prefill_num_workers=topology.prefill_num_workers,
            decode_tp=topology.decode_tp,
            decode_ep=topology.decode_ep,
            decode_pp=_int(multi_only(1)),
            decode_dcp_size=_int(multi_only(1)),
            decode_pcp_size=_int(multi_only(1)),
            decode_dp_attention=topology.decode_dp_attention,
            decode_num_workers=topology.decode_num_workers,
            num_prefill_gpu=_int(multi_only(topology.num_prefill_gpu)),
            num_decode_gpu=_int(multi_only(topology.num_decode_gpu)),
        )


def _int(value: int | bool | None) -> int | None:
    return None if value is None else int(value)


def min_gpus_for_weights(model: Model, precision: str, gpu: Gpu) -> int:
    """Smallest power-of-two GPU count whose memory holds the weights with room for KV cache."""
    weights_gb = model.levels[precision].weights_gb
    count = 1
    while count * gpu.memory_gb * 0.8 < weights_gb:
        count *= 2
    return count


def _single_node_topologies(model: Model, min_gpus: int) -> list[tuple[Topology, str]]:
    topologies: list[tuple[Topology, str]] = [
        (Topology(tp=tp, ep=1, dp_attention=False), "none")
        for tp in model.tensor_parallel_sizes
        if min_gpus <= tp <= 8
    ]
    if model.mixture_of_experts and model.tensor_parallel_sizes == (8,) and min_gpus <= 8:
        topologies.append((Topology(tp=8, ep=8, dp_attention=True), "none"))
    if model.supports_mtp:
        topologies += [(topology, "mtp") for topology, _ in topologies]
    return topologies


def _disaggregated_topologies(model: Model, gpu: Gpu, min_gpus: int) -> list[tuple[Topology, str]]:
    if min(model.tensor_parallel_sizes) < 8:
        # Small models: several narrow prefill workers feeding wider decode workers.
        return [
            (_disagg(prefill=(2, 1, False, 4), decode=(4, 1, False, 2)), "none"),
            (_disagg(prefill=(4, 1, False, 2), decode=(8, 1, False, 1)), "none"),
        ]
    prefill_tp = max(min_gpus, gpu.gpus_per_node)
    decode_tp = max(min_gpus, 8)
    topologies = [
        (_disagg(prefill=(prefill_tp, 1, False, 1), decode=(decode_tp, 1, False, 1)), "none"),
        (
            _disagg(
                prefill=(prefill_tp, prefill_tp, True, 1), decode=(decode_tp, decode_tp, True, 1)
            ),
            "none",
        ),
    ]
    wide_sizes = (16, 32, 48, 72) if gpu.nvl72 else (16, 32)
    for decode_ep in wide_sizes:
        if decode_ep <= decode_tp:
            continue
        prefill_workers = 1 + decode_ep // 24
        topologies.append(
            (
                _disagg(
                    prefill=(prefill_tp, prefill_tp, True, prefill_workers),
                    decode=(decode_ep, decode_ep, True, 1),
                ),
                "none",
            )
        )
    if model.supports_mtp:
        topologies += [(topology, "mtp") for topology, _ in topologies[1:4]]
    return topologies


def _disagg(*, prefill: tuple[int, int, bool, int], decode: tuple[int, int, bool, int]) -> Topology:
    return Topology(
        prefill_tp=prefill[0],
        prefill_ep=prefill[1],
        prefill_dp_attention=prefill[2],
        prefill_num_workers=prefill[3],
        decode_tp=decode[0],
        decode_ep=decode[1],
        decode_dp_attention=decode[2],
        decode_num_workers=decode[3],
    )


def candidate_configs(engine: Engine) -> list[ConfigSpec]:
    """Every config the engine could plausibly run, in a fixed order (hardware as listed)."""
    candidates: list[ConfigSpec] = []
    for gpu_name in engine.hardware:
        gpu = GPUS[gpu_name]
        for prefix in engine.model_prefixes:
            model = MODELS[prefix]
            for precision in model.levels:
                if precision == "fp4" and not gpu.supports_fp4:
                    continue
                min_gpus = min_gpus_for_weights(model, precision, gpu)
                if engine.disaggregated:
                    topologies = _disaggregated_topologies(model, gpu, min_gpus)
                else:
                    topologies = _single_node_topologies(model, min_gpus)
                candidates += [
                    ConfigSpec(engine, gpu, model, precision, spec, topology, isl, osl)
                    for topology, spec in topologies
                    for isl, osl in SEQUENCE_LENGTHS
                ]
    return candidates


def select_configs(*, configs_per_engine: int, rng: np.random.Generator) -> list[ConfigSpec]:
    """Pick each engine's configs: round-robin over its GPUs (lead GPU first), random within one.

    A disaggregated engine's lead GPU lists wide-EP configs first, so dynamo-trt on GB200 always
    has the wide-EP configs that the month-long improvement campaign needs.
    """
    selected: list[ConfigSpec] = []
    for engine in ENGINES:
        by_gpu: dict[str, list[ConfigSpec]] = {name: [] for name in engine.hardware}
        for spec in candidate_configs(engine):
            by_gpu[spec.gpu.name].append(spec)
        queues: list[list[ConfigSpec]] = []
        for position, gpu_name in enumerate(engine.hardware):
            specs = by_gpu[gpu_name]
            order = rng.permutation(len(specs))
            shuffled = [specs[int(i)] for i in order]
            if position == 0 and engine.disaggregated:
                shuffled.sort(key=lambda spec: not spec.topology.wide_ep)
            queues.append(shuffled)
        picked: list[ConfigSpec] = []
        while len(picked) < configs_per_engine and any(queues):
            for queue in queues:
                if queue and len(picked) < configs_per_engine:
                    picked.append(queue.pop(0))
        selected += picked
    return selected
