"""The config fields (docs/configs.md): their canonical names and types, which form the key,
which are derived."""

from __future__ import annotations

ConfigValue = str | int | bool | None

# Every stored field of a Config, in API order, with its type (values may also be null).
_STORED_FIELD_TYPES: dict[str, type] = {
    "hardware": str,
    "prefill_hardware": str,
    "decode_hardware": str,
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

CONFIG_INT_MIN = -(2**31)
CONFIG_INT_MAX = 2**31 - 1
"""Integer config fields are stored as 32-bit integers: submitted values and filters outside
this range are refused."""

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
