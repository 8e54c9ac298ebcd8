"""The configuration dimensions an alert is described in, and their labels.

A series' config (docs/configs.md) is read here into the words a person uses for it: "MI355X",
"FP8", "dsr1", "8k/1k", "disagg 8P+16D wide-EP", "MTP". Missing fields read as their §3
defaults, so a partial config still gets a label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alerts.messages import formatting

Config = Mapping[str, Any]

# Order in which topology classes are listed ("single-node and disagg").
TOPOLOGY_ORDER: tuple[str, ...] = (
    "single-node",
    "single-node wide-EP",
    "multi-node",
    "multi-node wide-EP",
    "disagg",
    "disagg wide-EP",
)


def hardware(config: Config) -> str:
    """The GPU as it is written in prose: "MI355X", "GB200"."""
    return str(config.get("hardware") or "unknown GPU").upper()


def precision(config: Config) -> str:
    """The numeric precision: "FP8", "FP4", "BF16"."""
    return str(config.get("precision") or "unknown precision").upper()


def model(config: Config) -> str:
    """The model's short name: its InferenceX prefix ("dsr1"), else the last part of its id."""
    prefix = config.get("model_prefix")
    if prefix:
        return str(prefix)
    return str(config.get("model") or "unknown model").rsplit("/", 1)[-1]


def sequence_lengths(config: Config) -> str:
    """ISL/OSL: "8k/1k"."""
    return formatting.sequence_lengths(config.get("isl"), config.get("osl"))


def topology_class(config: Config) -> str:
    """Single-node, multi-node or disagg, with "wide-EP" when expert parallelism spans ranks."""
    if config.get("disagg"):
        base = "disagg"
    elif config.get("is_multinode"):
        base = "multi-node"
    else:
        base = "single-node"
    return f"{base} wide-EP" if config.get("wide_ep") else base


def spec_method(config: Config) -> str:
    """The speculative-decoding method, upper-case ("MTP"); "none" when there is none."""
    method = str(config.get("spec_method") or "none")
    return method if method == "none" else method.upper()


def framework(config: Config) -> str:
    """The row's framework (an alert's engine may run several, e.g. dynamo-trt)."""
    return str(config.get("framework") or "unknown framework")


def parallelism(config: Config) -> str:
    """The topology in detail: "TP8 EP8 DPA", "disagg 8P+16D wide-EP"."""
    if config.get("num_prefill_gpu") is not None and config.get("num_decode_gpu") is not None:
        label = f"{config['num_prefill_gpu']}P+{config['num_decode_gpu']}D"
        label = f"disagg {label}" if config.get("disagg") else f"multi-node {label}"
    else:
        parts = [f"TP{config.get('tp', '?')}"]
        for field, name in (("ep", "EP"), ("pp", "PP")):
            if (config.get(field) or 1) > 1:
                parts.append(f"{name}{config[field]}")
        if config.get("dp_attention"):
            parts.append("DPA")
        label = " ".join(parts)
        if config.get("disagg"):
            label = f"disagg {label}"
        elif config.get("is_multinode"):
            label = f"multi-node {label}"
    return f"{label} wide-EP" if config.get("wide_ep") else label


def series_label(config: Config, *, engine: str | None = None) -> str:
    """One series in a line: "MI355X · dsr1 FP8 8k/1k · TP8 EP8 DPA · MTP".

    The framework is named only when it differs from the alert's `engine`.
    """
    parts = [hardware(config)]
    if engine is None or framework(config) != engine:
        parts.append(framework(config))
    parts.append(f"{model(config)} {precision(config)} {sequence_lengths(config)}")
    parts.append(parallelism(config))
    if spec_method(config) != "none":
        parts.append(spec_method(config))
    return " · ".join(parts)


@dataclass(frozen=True)
class Dimension:
    """One axis of the configuration space, with its value for a config and how to speak of it."""

    name: str
    value_of: Callable[[Config], str]
    # How several values read: "FP8 and FP4" up to `list_up_to` values, else "3 precisions".
    plural_noun: str
    list_up_to: int = 2


SLICE_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("precision", precision, "precisions"),
    Dimension("model", model, "models"),
    Dimension("sequence_lengths", sequence_lengths, "ISL/OSL pairs"),
    Dimension("topology", topology_class, "topologies", list_up_to=3),
    Dimension("spec_method", spec_method, "spec-decoding methods"),
    Dimension("framework", framework, "frameworks"),
    Dimension("hardware", hardware, "GPUs"),
)
DIMENSIONS_BY_NAME: dict[str, Dimension] = {
    dimension.name: dimension for dimension in SLICE_DIMENSIONS
}


def sort_values(dimension: Dimension, values: set[str]) -> list[str]:
    """Values in reading order: topology classes in their natural order, others alphabetically."""
    if dimension.name == "topology":
        return sorted(
            values, key=lambda v: (TOPOLOGY_ORDER.index(v) if v in TOPOLOGY_ORDER else 99, v)
        )
    return sorted(values)
