"""Config fields of a submission: reading the submission's `config`, checking what is required,
and assembling a `Config` with the defaults of docs/configs.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tracker.configs.fields import (
    CONFIG_FIELD_TYPES,
    KNOWN_SCENARIOS,
    STORED_FIELDS,
    SUPPORTED_SCENARIOS,
    ConfigValue,
)
from tracker.configs.hardware import HETEROGENEOUS_SEPARATOR, fold_runner_label
from tracker.configs.identity import Config
from tracker.configs.normalise import normalise_text_field
from tracker.errors import FieldError
from tracker.ingest.formats.values import (
    BadValue,
    boolean,
    checked,
    describe,
    non_negative_integer,
    positive_integer,
    text,
)

REQUIRED_FIELDS: tuple[str, ...] = ("hardware", "framework", "model", "precision", "isl", "osl")

COMPONENT_FIELDS: tuple[str, ...] = ("recipe_fingerprint", "router", "kv_p2p_transfer", "image")
"""Recorded per sweep, not in the key: a change of one shows up beside a change point."""
RUNNER_COMPONENT = "runner"
"""The runner label as sent, when it is not the GPU name itself; derived, never given."""
CLIENT_COMPONENT = "client"
"""The benchmark client that measured the rows (from the format); derived, never given."""

SINGLE_NODE_GROUP: tuple[str, ...] = ("tp", "ep", "pp", "dcp_size", "pcp_size", "dp_attention")
_SPLIT_SIZES = ("tp", "ep", "pp", "dcp_size", "pcp_size", "dp_attention", "num_workers")
PREFILL_GROUP: tuple[str, ...] = tuple(f"prefill_{name}" for name in _SPLIT_SIZES)
DECODE_GROUP: tuple[str, ...] = tuple(f"decode_{name}" for name in _SPLIT_SIZES)
_DEFAULT_ONE = frozenset(
    {"ep", "pp", "dcp_size", "pcp_size"}
    | {
        f"{side}_{name}"
        for side in ("prefill", "decode")
        for name in ("pp", "dcp_size", "pcp_size")
    }
)

# An InferenceX row names six config fields differently; the others keep their canonical name.
_RENAMED_IN_ROWS = {
    "hardware": "hw",
    "prefill_hardware": "prefill_hw",
    "decode_hardware": "decode_hw",
    "model_prefix": "infmax_model_prefix",
    "spec_method": "spec_decoding",
    "scenario": "scenario_type",
}
ROW_FIELD_NAMES: dict[str, str] = {_RENAMED_IN_ROWS.get(name, name): name for name in STORED_FIELDS}
"""InferenceX row key → canonical config field."""
CANONICAL_TO_ROW_NAMES: dict[str, str] = {field: key for key, field in ROW_FIELD_NAMES.items()}

Reader = Callable[[str, Any], ConfigValue]


def _normalised_text(field: str) -> Reader:
    def read(name: str, value: Any) -> str:
        return normalise_text_field(field, text(name, value))

    return read


def _spec_method(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(f"{name} must be a string, got {describe(value)}", "string_type")
    return normalise_text_field("spec_method", value)


def _scenario(name: str, value: Any) -> str:
    scenario = normalise_text_field("scenario", text(name, value))
    if scenario in SUPPORTED_SCENARIOS:
        return scenario
    supported = ", ".join(SUPPORTED_SCENARIOS)
    if scenario in KNOWN_SCENARIOS:
        raise BadValue(
            f"{name} {scenario} is not supported yet; only {supported} results are accepted",
            "scenario_not_supported",
        )
    raise BadValue(
        f"{name} must be a known scenario ({', '.join(KNOWN_SCENARIOS)}), got {describe(value)}",
        "scenario_unknown",
    )


# Sizes that InferenceX writes as 0 for a run without decode GPUs may be 0; the others are ≥ 1.
_MAY_BE_ZERO = frozenset(
    {"num_prefill_gpu", "num_decode_gpu"}
    | {f"{side}_{name}" for side in ("prefill", "decode") for name in ("tp", "ep", "num_workers")}
)


def _reader_for(field: str, field_type: type) -> Reader:
    if field == "spec_method":
        return _spec_method
    if field == "scenario":
        return _scenario
    if field_type is str:
        return _normalised_text(field)
    if field_type is bool:
        return boolean
    return non_negative_integer if field in _MAY_BE_ZERO else positive_integer


FIELD_READERS: dict[str, Reader] = {
    name: _reader_for(name, CONFIG_FIELD_TYPES[name]) for name in STORED_FIELDS
}
"""Canonical config field → reader returning the normalised value (raises BadValue)."""


def component_text(value: Any) -> str | None:
    """A component value as text; a non-string JSON value is kept as compact JSON. Null and
    an empty (or blank) string mean the component is not recorded."""
    if isinstance(value, str):
        return value if value.strip() else None
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class SubmissionConfig:
    """The submission's `config` object, read once: what it supplies to every row."""

    given: bool
    values: dict[str, ConfigValue]
    """Canonical field → normalised value, for the valid non-null fields it gives."""
    invalid: frozenset[str]
    """Fields it gives with a bad value (already reported; not reported again as missing)."""
    components: dict[str, str]


def read_submission_config(config: Any, errors: list[FieldError]) -> SubmissionConfig:
    """Read the submission's `config` (canonical field names, docs/configs.md, plus the component
    names), reporting bad values at `("config", field)` and unknown names as errors."""
    if config is None:
        return SubmissionConfig(given=False, values={}, invalid=frozenset(), components={})
    if not isinstance(config, Mapping):
        errors.append(
            FieldError(
                ("config",), f"config must be an object, got {describe(config)}", "dict_type"
            )
        )
        return SubmissionConfig(given=False, values={}, invalid=frozenset(), components={})
    values: dict[str, ConfigValue] = {}
    invalid: set[str] = set()
    components: dict[str, str] = {}
    for name, value in config.items():
        loc = ("config", name)
        reader = FIELD_READERS.get(name)
        if value is None:
            continue
        if reader is not None:
            field_value = checked(errors, loc, reader, value)
            if field_value is None:
                invalid.add(name)
            else:
                values[name] = field_value
                if name == "hardware":
                    components.update(runner_component(value))
        elif name in COMPONENT_FIELDS:
            text_value = component_text(value)
            if text_value is not None:
                components[name] = text_value
        else:
            errors.append(FieldError(loc, _unknown_config_field_message(name), "extra_forbidden"))
    return SubmissionConfig(
        given=True, values=values, invalid=frozenset(invalid), components=components
    )


def runner_component(label: str) -> dict[str, str]:
    """`{"runner": label}` when the label is not already the GPU it folds to (`b200-dgxc`),
    else nothing: the runner label is kept per sweep as a component."""
    runner = label.strip()
    return {} if fold_runner_label(runner) == runner.lower() else {RUNNER_COMPONENT: runner}


def _unknown_config_field_message(name: str) -> str:
    hint = ""
    if name in ROW_FIELD_NAMES:
        hint = f" (config uses canonical names: did you mean {ROW_FIELD_NAMES[name]!r}?)"
    elif name in ("gpus", "wide_ep"):
        hint = " (it is derived from the topology and cannot be set)"
    return f"unknown config field {name!r}{hint}"


def missing_fields(values: Mapping[str, ConfigValue]) -> list[str]:
    """Required config fields absent from `values`: those of REQUIRED_FIELDS, the partner of a
    lone `num_prefill_gpu`/`num_decode_gpu`, and `tp` when there is no topology at all (the
    GPU count needs one: tp, or num_prefill_gpu and num_decode_gpu)."""
    missing = [name for name in REQUIRED_FIELDS if name not in values]
    has_prefill_gpus = "num_prefill_gpu" in values
    has_decode_gpus = "num_decode_gpu" in values
    if has_prefill_gpus != has_decode_gpus:
        missing.append("num_decode_gpu" if has_prefill_gpus else "num_prefill_gpu")
    elif not has_prefill_gpus and "tp" not in values:
        missing.append("tp")
    return missing


def missing_field_message(field: str) -> str:
    """Why a missing config field is needed."""
    if field == "tp":
        return "a topology is required: tp, or num_prefill_gpu and num_decode_gpu"
    if field in ("num_prefill_gpu", "num_decode_gpu"):
        return "num_prefill_gpu and num_decode_gpu go together: give both"
    return f"{field} is required"


def assemble_config(values: Mapping[str, ConfigValue]) -> tuple[Config, list[str]]:
    """Build the Config from complete, normalised values, applying docs/configs.md defaults.

    Returns the config and the fields that were given but dropped because their group's anchor
    is absent (e.g. `ep` without `tp`), so the caller can keep them with the row's extra fields.
    """
    fields = {name: values.get(name) for name in STORED_FIELDS}
    dropped: list[str] = []
    for anchor, group in (
        ("tp", SINGLE_NODE_GROUP),
        ("prefill_tp", PREFILL_GROUP + DECODE_GROUP),
    ):
        if fields[anchor] is None:
            dropped.extend(name for name in group if fields[name] is not None)
            fields.update(dict.fromkeys(group))
            continue
        for name in group:
            if fields[name] is None and name in _DEFAULT_ONE:
                fields[name] = 1
        if anchor == "tp" and fields["dp_attention"] is None:
            fields["dp_attention"] = False
    for name, default in (("spec_method", "none"), ("scenario", SUPPORTED_SCENARIOS[0])):
        if fields[name] is None:
            fields[name] = default
    for name in ("disagg", "is_multinode"):
        if fields[name] is None:
            fields[name] = False
    _resolve_sides(fields)
    return Config(**fields), dropped  # type: ignore[arg-type]


def _resolve_sides(fields: dict[str, ConfigValue]) -> None:
    """Prefill and decode GPUs: a side not given runs on `hardware`. Two equal sides are that
    GPU (and the side fields are dropped); two different ones make the heterogeneous
    `prefill+decode` hardware, with both side fields kept (docs/configs.md#hardware)."""
    prefill = fields["prefill_hardware"] or fields["hardware"]
    decode = fields["decode_hardware"] or fields["hardware"]
    if prefill == decode:
        fields.update(hardware=prefill, prefill_hardware=None, decode_hardware=None)
    else:
        fields.update(
            hardware=f"{prefill}{HETEROGENEOUS_SEPARATOR}{decode}",
            prefill_hardware=prefill,
            decode_hardware=decode,
        )
