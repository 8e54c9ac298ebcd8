"""The `inferencex` format: InferenceX processed rows (docs/formats.md), every shape over time.

v0 rows carry `hw, tp, conc, model, framework, precision, tput_per_gpu, [mtp]` and latencies
(isl/osl then come from the submission's config); v1 adds the model prefix, image, isl/osl,
disagg, spec_decoding, ep, dp_attention; v2 multinode rows carry `prefill_*`/`decode_*` and the
GPU counts. Row fields win over the submission's config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tracker.configs.fields import KNOWN_SCENARIOS, SUPPORTED_SCENARIOS
from tracker.configs.identity import Config
from tracker.configs.normalise import normalise_text_field
from tracker.errors import FieldError
from tracker.ingest.formats.config_fields import (
    CANONICAL_TO_ROW_NAMES,
    FIELD_READERS,
    ROW_FIELD_NAMES,
    SubmissionConfig,
    assemble_config,
    missing_field_message,
    missing_fields,
    runner_component,
)
from tracker.ingest.formats.notes import ParseNotes, SkippedRow
from tracker.ingest.formats.rows import ResultRow, read_result_row, values_getter
from tracker.ingest.formats.values import Loc, checked, describe, read_count

_V0_MTP_KEY = "mtp"
_SCENARIO_KEY = "scenario_type"
_FALSY_STRINGS = frozenset({"", "false", "0", "off", "no", "none"})
_CONFIG_KEYS = frozenset({*ROW_FIELD_NAMES, _V0_MTP_KEY})
_NOT_MEASUREMENT_KEYS = _CONFIG_KEYS | {"conc"}


@dataclass(frozen=True, slots=True)
class _RowConfig:
    """The config part of a row, read: its Config, or the required fields it lacks."""

    config: Config | None
    missing: tuple[str, ...]
    dropped_keys: tuple[str, ...]
    """Row keys the Config cannot hold (a group without its anchor): kept in extra."""
    components: dict[str, str]
    """The submission's default components with the row's runner label."""


@lru_cache(maxsize=256)
def _config_keys(keys: tuple[str, ...]) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    config_keys = tuple(key for key in keys if key in _CONFIG_KEYS)
    return config_keys, values_getter(config_keys)


def parse_inferencex_rows(
    results: list[Any], submission: SubmissionConfig, errors: list[FieldError], notes: ParseNotes
) -> list[tuple[int, ResultRow]]:
    """Convert InferenceX rows to result rows, with their index in `results`; bad fields are
    added to `errors` (a required config field that every row lacks is reported once, at
    `("config", field)`). Rows of a scenario the tracker does not analyse are skipped (kept in
    `notes`); rows that all look like a raw format get one error naming it."""
    raw_format = _raw_format_of_every_row(results)
    if raw_format is not None:
        errors.append(_raw_format_error(raw_format))
        return []
    parsed: list[tuple[int, ResultRow]] = []
    rows_missing: dict[str, list[int]] = {}
    object_count = 0
    # Rows of one sweep share their config part: read each distinct one once. The value types
    # are part of the key because 1 == 1.0 == True in Python.
    read_configs: dict[tuple[Any, ...] | None, _RowConfig] = {}
    for index, row in enumerate(results):
        loc: Loc = ("results", index)
        if not isinstance(row, dict):
            message = f"each result must be an object, got {describe(row)}"
            errors.append(FieldError(loc, message, "dict_type"))
            continue
        scenario = row.get(_SCENARIO_KEY)
        if scenario is not None and (skipped := _scenario_not_analysed(scenario)) is not None:
            notes.skipped.append(SkippedRow(index, f"scenario {skipped} is not analysed"))
            continue
        object_count += 1
        errors_before = len(errors)
        config_keys, config_values_of = _config_keys(tuple(row))
        config_values = config_values_of(row)
        cache_key: tuple[Any, ...] | None = (
            config_keys,
            config_values,
            tuple(map(type, config_values)),
        )
        try:
            row_config = read_configs.get(cache_key)
        except TypeError:  # an object or list where a config value belongs: not cacheable
            cache_key, row_config = None, None
        if row_config is None:
            row_config = _read_row_config(row, config_keys, loc, submission, errors)
            if cache_key is not None and len(errors) == errors_before:
                read_configs[cache_key] = row_config
        for name in row_config.missing:
            rows_missing.setdefault(name, []).append(index)
        result_row = read_result_row(
            row,
            loc,
            errors,
            config=row_config.config,
            conc=read_count(row, "conc", loc, errors, meaning="the benchmark's concurrency"),
            skip=_NOT_MEASUREMENT_KEYS,
            default_components=row_config.components,
            notes=notes,
        )
        if result_row is None or len(errors) > errors_before:
            continue
        for row_key in row_config.dropped_keys:
            result_row.extra[row_key] = row[row_key]
        parsed.append((index, result_row))
    _report_missing(rows_missing, object_count, errors)
    return parsed


def _scenario_not_analysed(value: Any) -> str | None:
    """The scenario of a row the tracker knows but does not analyse (`agentic-coding`)."""
    if not isinstance(value, str):
        return None
    scenario = normalise_text_field("scenario", value)
    if scenario in KNOWN_SCENARIOS and scenario not in SUPPORTED_SCENARIOS:
        return scenario
    return None


# Keys that only raw outputs have, and those that tell the raw formats apart.
_RAW_ONLY_KEY = "max_concurrency"
_SGLANG_BENCH_KEYS = frozenset({"total_throughput", "server_info", "median_e2e_latency_ms"})
_VLLM_BENCH_KEYS = frozenset({"endpoint_type", "failed"})


def _raw_format_of_every_row(results: list[Any]) -> str | None:
    """The raw format every row looks like (a raw output has `max_concurrency` but neither
    `conc` nor `tput_per_gpu`), or None when some row does not look raw."""
    guesses = set()
    for row in results:
        if not isinstance(row, dict) or _RAW_ONLY_KEY not in row or "conc" in row:
            return None
        if "tput_per_gpu" in row:
            return None
        if not _SGLANG_BENCH_KEYS.isdisjoint(row):
            guesses.add("sglang-bench")
        elif not _VLLM_BENCH_KEYS.isdisjoint(row):
            guesses.add("vllm-bench")
        else:
            guesses.add("benchmark-serving")
    return guesses.pop() if len(guesses) == 1 else None


def _raw_format_error(raw_format: str) -> FieldError:
    message = (
        f"format is inferencex (the default), but every row looks like {raw_format} output "
        "(max_concurrency, no conc or tput_per_gpu): send format "
        f"{raw_format!r} with the run's config (tracker submit --format {raw_format} "
        "--config config.json)"
    )
    return FieldError(("format",), message, "format_mismatch")


def _read_row_config(
    row: dict[str, Any],
    config_keys: tuple[str, ...],
    loc: Loc,
    submission: SubmissionConfig,
    errors: list[FieldError],
) -> _RowConfig:
    values = dict(submission.values)
    row_invalid: list[str] = []
    for row_key in config_keys:
        raw_value = row[row_key]
        if raw_value is None or row_key == _V0_MTP_KEY:
            continue
        field = ROW_FIELD_NAMES[row_key]
        value = checked(errors, (*loc, row_key), FIELD_READERS[field], raw_value)
        if value is None:
            row_invalid.append(field)
        else:
            values[field] = value
    if row.get("spec_decoding") is None and _is_truthy(row.get(_V0_MTP_KEY)):
        values["spec_method"] = "mtp"
    missing = tuple(
        name
        for name in missing_fields(values)
        if name not in submission.invalid and name not in row_invalid
    )
    components = submission.components
    if isinstance(row.get("hw"), str):
        components = {**components, **runner_component(row["hw"])}
    if missing or row_invalid:
        return _RowConfig(config=None, missing=missing, dropped_keys=(), components=components)
    config, dropped = assemble_config(values)
    dropped_keys = tuple(
        CANONICAL_TO_ROW_NAMES[name] for name in dropped if CANONICAL_TO_ROW_NAMES[name] in row
    )
    return _RowConfig(config=config, missing=(), dropped_keys=dropped_keys, components=components)


def _is_truthy(value: Any) -> bool:
    """v0 rows write `mtp` from an environment variable: any set value but a false-like one."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSY_STRINGS
    return bool(value)


def _report_missing(
    rows_missing: dict[str, list[int]], object_count: int, errors: list[FieldError]
) -> None:
    for field, indexes in rows_missing.items():
        row_key = CANONICAL_TO_ROW_NAMES[field]
        if len(indexes) == object_count:
            message = (
                f"{missing_field_message(field)}: no row carries it (as {row_key}), so the "
                "submission's config must give it"
            )
            errors.append(FieldError(("config", field), message, "missing"))
            continue
        for index in indexes:
            message = (
                f"{missing_field_message(field)}: give {row_key} in the row, or {field} in "
                "the submission's config"
            )
            errors.append(FieldError(("results", index, row_key), message, "missing"))
