"""The config of a result row (DESIGN §3): its fields, their normalisation and its key.

A config is the identity of what was measured; a series is one config's history. Values held by a
`Config` are already normalised: build one through `tracker.formats` (which validates and
normalises submissions) or from stored values with `Config.from_dict`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

ConfigValue = str | int | bool | None

# Every stored field of a Config, in API order, with its type (values may also be null).
_STORED_FIELD_TYPES: dict[str, type] = {
    "hardware": str,
    "framework": str,
    "model": str,
    "model_prefix": str,
    "precision": str,
    "spec_method": str,
    "disagg": bool,
    "is_multinode": bool,
    "tp": int,
    "ep": int,
    "pp": int,
    "dcp_size": int,
    "pcp_size": int,
    "dp_attention": bool,
    "prefill_tp": int,
    "prefill_ep": int,
    "prefill_pp": int,
    "prefill_dcp_size": int,
    "prefill_pcp_size": int,
    "prefill_dp_attention": bool,
    "prefill_num_workers": int,
    "decode_tp": int,
    "decode_ep": int,
    "decode_pp": int,
    "decode_dcp_size": int,
    "decode_pcp_size": int,
    "decode_dp_attention": bool,
    "decode_num_workers": int,
    "num_prefill_gpu": int,
    "num_decode_gpu": int,
    "isl": int,
    "osl": int,
    "scenario": str,
}

DERIVED_FIELDS: tuple[str, ...] = ("gpus", "wide_ep")
"""Computed from the stored fields; filterable and shown in API responses, never in the key."""

CONFIG_FIELD_TYPES: dict[str, type] = {**_STORED_FIELD_TYPES, "gpus": int, "wide_ep": bool}
"""Every config field a query may filter on, with the type its query-string value parses to."""

STORED_FIELDS: tuple[str, ...] = tuple(_STORED_FIELD_TYPES)
"""The fields a `Config` is constructed from (the derived ones excluded)."""

CONFIG_KEY_FIELDS: tuple[str, ...] = tuple(name for name in STORED_FIELDS if name != "model_prefix")
"""The fields whose values identify a config (its key)."""

SUPPORTED_SCENARIOS: tuple[str, ...] = ("fixed-seq-len",)
KNOWN_SCENARIOS: tuple[str, ...] = ("fixed-seq-len", "agentic-coding")

_GPUS_PER_NODE = 8


@dataclass(frozen=True, kw_only=True)
class Config:
    """The identity of what was measured (DESIGN §3), with normalised values.

    Field groups that a row shape lacks are null: the single-node group (`tp` … `dp_attention`)
    when there is no `tp`, the prefill/decode groups when there is no `prefill_tp`. Two derived
    values are properties: `gpus` and `wide_ep`.
    """

    hardware: str
    framework: str
    model: str
    model_prefix: str | None = None
    precision: str
    spec_method: str = "none"
    disagg: bool = False
    is_multinode: bool = False
    tp: int | None = None
    ep: int | None = None
    pp: int | None = None
    dcp_size: int | None = None
    pcp_size: int | None = None
    dp_attention: bool | None = None
    prefill_tp: int | None = None
    prefill_ep: int | None = None
    prefill_pp: int | None = None
    prefill_dcp_size: int | None = None
    prefill_pcp_size: int | None = None
    prefill_dp_attention: bool | None = None
    prefill_num_workers: int | None = None
    decode_tp: int | None = None
    decode_ep: int | None = None
    decode_pp: int | None = None
    decode_dcp_size: int | None = None
    decode_pcp_size: int | None = None
    decode_dp_attention: bool | None = None
    decode_num_workers: int | None = None
    num_prefill_gpu: int | None = None
    num_decode_gpu: int | None = None
    isl: int
    osl: int
    scenario: str = "fixed-seq-len"

    # Configs key the dicts of ingest (one lookup per row), so their 33 fields are hashed once,
    # into an instance attribute set by __post_init__ (declared ClassVar: not a field).
    _hash: ClassVar[int]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_hash", hash(tuple(getattr(self, name) for name in STORED_FIELDS))
        )

    def __hash__(self) -> int:
        return self._hash

    @property
    def gpus(self) -> int | None:
        """GPUs the config runs on: prefill + decode GPUs, else tp × pp × pcp_size (null if
        the config has neither topology; `tracker.formats` always gives one)."""
        if self.num_prefill_gpu is not None and self.num_decode_gpu is not None:
            return self.num_prefill_gpu + self.num_decode_gpu
        if self.tp is not None:
            return self.tp * (self.pp or 1) * (self.pcp_size or 1)
        return None

    @property
    def wide_ep(self) -> bool:
        """Whether (decode) expert parallelism spans data-parallel attention ranks or more than
        one 8-GPU node; the decode group decides when the config has one."""
        if self.decode_ep is not None:
            return self.decode_ep > _GPUS_PER_NODE or bool(
                self.decode_dp_attention and self.decode_ep > 1
            )
        if self.ep is not None:
            return self.ep > _GPUS_PER_NODE or bool(self.dp_attention and self.ep > 1)
        return False

    def key_digest(self) -> str:
        """Stable sha256 hex digest of the key: the non-null key fields as compact JSON with
        sorted keys. Null fields are left out so that a field added later (null in old configs)
        keeps old digests; `model_prefix` and the derived fields are not part of it."""
        key = {name: getattr(self, name) for name in CONFIG_KEY_FIELDS}
        canonical = json.dumps(
            {name: value for name, value in key.items() if value is not None},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def as_dict(self) -> dict[str, ConfigValue]:
        """The canonical field names → values, derived `gpus` and `wide_ep` included."""
        fields: dict[str, ConfigValue] = {name: getattr(self, name) for name in STORED_FIELDS}
        fields["gpus"] = self.gpus
        fields["wide_ep"] = self.wide_ep
        return fields

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> Config:
        """Rebuild a config from stored, already normalised values (e.g. `as_dict()` output);
        derived and unknown names are ignored."""
        return cls(**{name: fields[name] for name in STORED_FIELDS if name in fields})


_TRAILING_RUNNER_INDEX = re.compile(r"_\d+$")
_RUNNER_SUFFIXES = (
    "-trt",
    "-multinode-slurm",
    "-multinode",
    "-nvs",
    "-disagg",
    "-amds",
    "-amd",
    "-nvd",
    "-dgxc",
    "-nb",
    "-nv",
)
_FRAMEWORK_ALIASES = {
    "trtllm": "trt",
    "tensorrt-llm": "trt",
    "trt-llm": "trt",
    "dynamo-trtllm": "dynamo-trt",
    "sglang-disagg": "mori-sglang",
}
_HF_CACHE_ENTRY = re.compile(r"(?:^|/)models--([^/]+)")


@lru_cache(maxsize=1024)
def normalise_hardware(hardware: str) -> str:
    """Fold a runner name to its GPU: lower-case, drop a trailing `_<digits>`, then one runner
    suffix (`b200-dgxc` → `b200`, `mi355x_0` → `mi355x`, `gb200-nv_2` → `gb200`)."""
    name = _TRAILING_RUNNER_INDEX.sub("", hardware.strip().lower())
    for suffix in _RUNNER_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


@lru_cache(maxsize=1024)
def normalise_framework(framework: str) -> str:
    """Fold a framework or engine name (`TRTLLM` → `trt`, `dynamo-trtllm` → `dynamo-trt`,
    `sglang-disagg` → `mori-sglang`). Also used for `source.engine`."""
    name = framework.strip().lower()
    return _FRAMEWORK_ALIASES.get(name, name)


@lru_cache(maxsize=1024)
def normalise_model(model: str) -> str:
    """Lower-case Hugging Face id; a local cache path `…/models--org--name/snapshots/…`
    becomes `org/name`."""
    name = model.strip().lower()
    cache_entry = _HF_CACHE_ENTRY.search(name)
    if cache_entry is not None and "--" in cache_entry.group(1):
        organisation, repository = cache_entry.group(1).split("--", 1)
        return f"{organisation}/{repository}"
    return name


def _normalise_lower(value: str) -> str:
    return value.strip().lower()


def _normalise_spec_method(value: str) -> str:
    return value.strip().lower() or "none"


_STRING_NORMALISERS: dict[str, Callable[[str], str]] = {
    "hardware": normalise_hardware,
    "framework": normalise_framework,
    "model": normalise_model,
    "model_prefix": _normalise_lower,
    "precision": _normalise_lower,
    "spec_method": _normalise_spec_method,
    "scenario": _normalise_lower,
}


def normalise_text_field(name: str, value: str) -> str:
    """Normalise the value of the string config field `name` (DESIGN §3 table)."""
    return _STRING_NORMALISERS[name](value)


def parse_bool(value: object) -> bool:
    """Fold a JSON boolean or the string "true"/"false" (any case) to a bool.

    Raises ValueError for anything else (numbers included: 1 is not a boolean here).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded == "true":
            return True
        if folded == "false":
            return False
    raise ValueError(f"expected true or false, got {value!r}")


def parse_config_filter(name: str, raw_value: str) -> str | int | bool:
    """Parse one query-string filter (`?hardware=mi355x&disagg=true&tp=8`) to the typed,
    normalised value stored in configs, so that `hardware=b200-dgxc` matches `b200`.

    Raises ValueError, with a message naming the field, the value and why, for an unknown
    field or a value that does not parse (the API turns it into a FieldError at
    `("query", name)`).
    """
    field_type = CONFIG_FIELD_TYPES.get(name)
    if field_type is None:
        raise ValueError(f"unknown config field {name!r}; known: {', '.join(CONFIG_FIELD_TYPES)}")
    if field_type is bool:
        try:
            return parse_bool(raw_value)
        except ValueError:
            raise ValueError(f"{name} must be true or false, got {raw_value!r}") from None
    if field_type is int:
        try:
            return int(raw_value.strip())
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {raw_value!r}") from None
    if not raw_value.strip():
        raise ValueError(f"{name} must not be empty")
    return normalise_text_field(name, raw_value)


_KNOWN_REPOSITORIES = {
    "vllm": "https://github.com/vllm-project/vllm",
    "sglang": "https://github.com/sgl-project/sglang",
    "mori-sglang": "https://github.com/sgl-project/sglang",
    "trt": "https://github.com/NVIDIA/TensorRT-LLM",
    "atom": "https://github.com/ROCm/ATOM",
}
_DYNAMO_REPOSITORY = "https://github.com/ai-dynamo/dynamo"


def known_repository(engine: str) -> str | None:
    """The source repository of a known engine (folded like `framework`), for compare links;
    None when unknown. A submission's `source.repo` overrides it."""
    name = normalise_framework(engine)
    if name == "dynamo" or name.startswith("dynamo-"):
        return _DYNAMO_REPOSITORY
    return _KNOWN_REPOSITORIES.get(name)


def compare_url(repo: str, from_commit: str, to_commit: str) -> str:
    """GitHub-style compare link `{repo}/compare/{from}...{to}`."""
    base = repo.strip().rstrip("/").removesuffix(".git")
    return f"{base}/compare/{from_commit}...{to_commit}"
