"""Runner labels folded to the GPU they run on, and the GPUs the tracker knows
(docs/configs.md#hardware)."""

from __future__ import annotations

import re
from functools import lru_cache

KNOWN_GPUS: tuple[str, ...] = (
    "h100",
    "h200",
    "b200",
    "b300",
    "gb200",
    "gb300",
    "mi300x",
    "mi325x",
    "mi355x",
)
"""GPU SKUs the tracker knows (and prices); another name is kept, and said to be unknown."""

_CLUSTER_PREFIX = "cluster:"
_TRAILING_RUNNER_INDEX = re.compile(r"_\d+$")
# Site, cluster and variant suffixes of InferenceX's runner labels and node names, removed (as
# often as they occur) from a name that does not start with a known GPU. Longer ones first.
RUNNER_SUFFIXES: tuple[str, ...] = (
    "-multinode-slurm",
    "-nscale-slurm",
    "-dgxc-slurm",
    "-multinode",
    "-disagg",
    "-nscale",
    "-slurm",
    "-amds",
    "-dgxc",
    "-dsv4",
    "-amd",
    "-lat",
    "-new",
    "-nvd",
    "-nvs",
    "-oci",
    "-trt",
    "-cr",
    "-cw",
    "-nb",
    "-nv",
    "-p1",
    "-tw",
)


@lru_cache(maxsize=1024)
def fold_runner_label(label: str) -> str:
    """The GPU of a runner label: lower-case, without a `cluster:` prefix and a trailing
    `_<digits>`; a name starting with a known GPU is that GPU (`b200-dgxc-slurm_7` → `b200`),
    any other loses its runner suffixes (`rtx6000pro-lat` → `rtx6000pro`)."""
    name = _TRAILING_RUNNER_INDEX.sub("", label.strip().lower().removeprefix(_CLUSTER_PREFIX))
    first_part = name.split("-", 1)[0]
    if first_part in KNOWN_GPUS:
        return first_part
    removed = True
    while removed:
        removed = False
        for suffix in RUNNER_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name.removesuffix(suffix)
                removed = True
                break
    return name


def is_known_gpu(hardware: str) -> bool:
    """Whether a folded hardware name is a GPU the tracker knows (a heterogeneous config's
    `prefill+decode` name is known when both sides are)."""
    return all(side in KNOWN_GPUS for side in hardware.split(HETEROGENEOUS_SEPARATOR))


HETEROGENEOUS_SEPARATOR = "+"
"""Joins the prefill and decode GPUs in a heterogeneous config's `hardware` (`b300+gb300`)."""
