"""Folding submitted and queried config values to their canonical form (docs/configs.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from tracker.configs.fields import CONFIG_FIELD_TYPES, CONFIG_INT_MAX, CONFIG_INT_MIN
from tracker.configs.hardware import fold_runner_label

_FRAMEWORK_ALIASES = {
    "trtllm": "trt",
    "tensorrt-llm": "trt",
    "trt-llm": "trt",
    "dynamo-trtllm": "dynamo-trt",
    "sglang-disagg": "mori-sglang",
}
_HF_CACHE_ENTRY = re.compile(r"(?:^|/)models--([^/]+)")


@lru_cache(maxsize=1024)
def normalise_framework(framework: str) -> str:
    """Fold a framework or engine name (`TRTLLM` → `trt`, `dynamo-trtllm` → `dynamo-trt`,
    `sglang-disagg` → `mori-sglang`). Also used for `source.engine`."""
    name = framework.strip().lower()
    return _FRAMEWORK_ALIASES.get(name, name)


def framework_runs_engine(framework: str, engine: str) -> bool:
    """Whether rows of a (folded) framework can come from an (folded) engine's CI: the same
    name, or one part of a composite framework (`sglang` and `dynamo` both run
    `dynamo-sglang`)."""
    return framework == engine or engine in framework.split("-")


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
    "hardware": fold_runner_label,
    "prefill_hardware": fold_runner_label,
    "decode_hardware": fold_runner_label,
    "framework": normalise_framework,
    "model": normalise_model,
    "model_prefix": _normalise_lower,
    "precision": _normalise_lower,
    "spec_method": _normalise_spec_method,
    "scenario": _normalise_lower,
}


def normalise_text_field(name: str, value: str) -> str:
    """Normalise the value of the string config field `name` (docs/configs.md table)."""
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
            number = int(raw_value.strip())
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {raw_value!r}") from None
        if not CONFIG_INT_MIN <= number <= CONFIG_INT_MAX:
            raise ValueError(
                f"{name} must be between {CONFIG_INT_MIN} and {CONFIG_INT_MAX}, got {number}"
            )
        return number
    if not raw_value.strip():
        raise ValueError(f"{name} must not be empty")
    return normalise_text_field(name, raw_value)
