"""Raw engine benchmark outputs → canonical rows, as InferenceX's `process_result.py` does
(docs/formats.md). Raw outputs carry no config: the submission's config gives it, one per
submission.

`conc` is `max_concurrency`; `{stat}_{metric}_ms` latencies become `{stat}_{metric}` in seconds,
and each `{stat}_tpot_ms` but std also `{stat}_intvty` = 1000 / ms; throughputs are divided by
the GPUs that produced them. Other keys are kept as sent (a trailing colon dropped from the name,
`request_goodput:`), except `date`, which has no time zone and is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tracker.configs.fields import ConfigValue
from tracker.configs.identity import Config
from tracker.configs.normalise import normalise_text_field
from tracker.errors import FieldError
from tracker.ingest.formats.config_fields import (
    DECODE_GROUP,
    PREFILL_GROUP,
    SINGLE_NODE_GROUP,
    SubmissionConfig,
    assemble_config,
    missing_field_message,
    missing_fields,
)
from tracker.ingest.formats.notes import ParseNotes
from tracker.ingest.formats.rows import STAT_PATTERN, ResultRow, read_result_row, values_getter
from tracker.ingest.formats.values import (
    Loc,
    all_non_negative_finite_or_null,
    checked,
    checked_positive,
    describe,
    non_negative_number,
    positive_number,
    read_count,
)

_IGNORED_RAW_KEYS = frozenset({"date", "max_concurrency"})
_INTERACTIVITY_SOURCE = "median_tpot_ms"
_PER_GPU_THROUGHPUT_KEYS = ("tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu")
_RAW_LATENCY_KEY = re.compile(
    rf"(?P<stat>{STAT_PATTERN})_(?P<metric>ttft|tpot|itl|e2el|e2e_latency)_ms"
)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per format
class RawDialect:
    """The key names of one raw format family."""

    format_name: str
    total_throughput_keys: tuple[str, ...]
    """Total token throughput, the first present wins; absent → input + output throughput."""
    output_throughput_keys: tuple[str, ...]
    input_throughput_key: str
    renamed_keys: Mapping[str, str]
    """Older spellings → the name kept in `extra`."""
    model_paths: tuple[tuple[str, ...], ...]
    """Where a row names its model (`model_id`, SGLang's `server_info.model_path`), the first
    present wins: the config's `model` when the submission's config does not give one."""


@dataclass(frozen=True)
class _GpuDivisors:
    """What each raw throughput is divided by to make it per GPU."""

    total: int
    output: int
    input: int

    @classmethod
    def of(cls, config: Config) -> _GpuDivisors:
        if config.num_prefill_gpu is not None and config.num_decode_gpu is not None:
            gpus = config.num_prefill_gpu + config.num_decode_gpu
            # As process_result.py: a run without decode GPUs divides output by all of them.
            output_gpus = config.num_decode_gpu or gpus
            return cls(total=gpus, output=output_gpus, input=config.num_prefill_gpu)
        single_node_gpus = config.gpus
        assert single_node_gpus is not None, "raw configs are checked to have a topology"
        return cls(total=single_node_gpus, output=single_node_gpus, input=single_node_gpus)


def parse_raw_rows(
    results: list[Any],
    submission: SubmissionConfig,
    errors: list[FieldError],
    notes: ParseNotes,
    dialect: RawDialect,
) -> list[tuple[int, ResultRow]]:
    """Convert raw benchmark outputs (one object per concurrency) to result rows, with their
    index in `results`; bad fields are added to `errors`."""
    model_from_rows = "model" not in submission.values and "model" not in submission.invalid
    configs = _RawConfigs(submission, errors, dialect.format_name, model_from_rows)
    parsed: list[tuple[int, ResultRow]] = []
    rows_without_model: list[int] = []
    for index, raw in enumerate(results):
        loc: Loc = ("results", index)
        if not isinstance(raw, dict):
            message = f"each result must be an object, got {describe(raw)}"
            errors.append(FieldError(loc, message, "dict_type"))
            continue
        errors_before = len(errors)
        model = _row_model(raw, dialect) if model_from_rows else None
        if model_from_rows and model is None:
            rows_without_model.append(index)
        config, divisors = configs.for_model(model)
        conc = read_count(raw, "max_concurrency", loc, errors, meaning="the row's conc")
        canonical = _canonical_row(raw, loc, errors, dialect, divisors)
        if canonical is None or len(errors) > errors_before:
            continue
        result_row = read_result_row(
            canonical,
            loc,
            errors,
            config=config,
            conc=conc,
            skip=frozenset(),
            default_components=submission.components,
            notes=notes,
        )
        if result_row is not None:
            parsed.append((index, result_row))
    _report_rows_without_model(rows_without_model, results, dialect, errors)
    return parsed


def _row_model(raw: Mapping[str, Any], dialect: RawDialect) -> str | None:
    for path in dialect.model_paths:
        value: Any = raw
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value.strip():
            return value
    return None


def _report_rows_without_model(
    indexes: list[int], results: list[Any], dialect: RawDialect, errors: list[FieldError]
) -> None:
    where = " or ".join(".".join(path) for path in dialect.model_paths)
    if indexes and len(indexes) == len(results):
        message = f"model is required: the config does not give it and no row carries {where}"
        errors.append(FieldError(("config", "model"), message, "missing"))
        return
    for index in indexes:
        message = f"model is required: give model in the config, or {where} in the row"
        errors.append(FieldError(("results", index, dialect.model_paths[0][0]), message, "missing"))


# Without a usable config the rows are still checked, with placeholder divisors.
_PLACEHOLDER_DIVISORS = _GpuDivisors(1, 1, 1)


class _RawConfigs:
    """The one config of a raw submission, or, when its config has no `model`, one per model
    the rows name (normalised like a submitted model); each with its GPU divisors."""

    def __init__(
        self,
        submission: SubmissionConfig,
        errors: list[FieldError],
        format_name: str,
        model_from_rows: bool,
    ) -> None:
        self._values = _checked_raw_values(submission, errors, format_name, model_from_rows)
        self._by_model: dict[str | None, tuple[Config | None, _GpuDivisors]] = {}

    def for_model(self, model: str | None) -> tuple[Config | None, _GpuDivisors]:
        """The config (None when unusable) and divisors of rows of `model` (None: the config's
        own model)."""
        known = self._by_model.get(model)
        if known is not None:
            return known
        values = self._values
        if values is not None and model is not None:
            values = {**values, "model": normalise_text_field("model", model)}
        if values is None or "model" not in values:
            made: tuple[Config | None, _GpuDivisors] = (None, _PLACEHOLDER_DIVISORS)
        else:
            config = assemble_config(values)[0]
            made = (config, _GpuDivisors.of(config))
        self._by_model[model] = made
        return made


def _checked_raw_values(
    submission: SubmissionConfig,
    errors: list[FieldError],
    format_name: str,
    model_from_rows: bool,
) -> dict[str, ConfigValue] | None:
    """The submission's config values when they make a raw config (the model may come from
    the rows); None, with the reasons in `errors`, when they do not."""
    if not submission.given:
        message = (
            f"config is required for format {format_name}: raw outputs carry no configuration "
            "(give hardware, framework, precision, isl, osl, and tp or num_prefill_gpu "
            "and num_decode_gpu; model too unless the rows carry model_id)"
        )
        errors.append(FieldError(("config",), message, "missing"))
        return None
    values = submission.values
    errors_before = len(errors)
    for name in missing_fields(values):
        if name not in submission.invalid and not (name == "model" and model_from_rows):
            errors.append(FieldError(("config", name), missing_field_message(name), "missing"))
    for anchor, group in (("tp", SINGLE_NODE_GROUP), ("prefill_tp", PREFILL_GROUP + DECODE_GROUP)):
        if anchor not in values and anchor not in submission.invalid:
            for name in group:
                if name in values:
                    message = f"{name} is given without {anchor}, which its group needs"
                    errors.append(FieldError(("config", name), message))
    if values.get("num_prefill_gpu") == 0:
        message = "num_prefill_gpu must be at least 1: input throughput per GPU divides by it"
        errors.append(FieldError(("config", "num_prefill_gpu"), message, "greater_than_equal"))
    if len(errors) > errors_before or submission.invalid:
        return None
    return dict(values)


def _latency_names(raw_key: str) -> tuple[str, str | None] | None:
    """`p99_tpot_ms` → (`p99_tpot`, `p99_intvty`); `mean_e2e_latency_ms` → (`mean_e2el`, None);
    None for a key that is not a latency in milliseconds."""
    match = _RAW_LATENCY_KEY.fullmatch(raw_key)
    if match is None:
        return None
    stat, metric = match["stat"], match["metric"]
    metric = "e2el" if metric == "e2e_latency" else metric
    interactivity = f"{stat}_intvty" if metric == "tpot" and stat != "std" else None
    return f"{stat}_{metric}", interactivity


@dataclass(frozen=True, slots=True)
class _RawLayout:
    """How the keys of one raw row shape convert; computed once per shape and dialect."""

    canonical_keys: tuple[str, ...]
    """The keys of the canonical row: those kept as sent (renamed where the dialect says so),
    the latencies in seconds, the interactivities, the throughputs per GPU."""
    kept_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    latency_keys: tuple[str, ...]
    latency_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    tpot_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]


@lru_cache(maxsize=256)
def _raw_layout(keys: tuple[str, ...], dialect: RawDialect) -> _RawLayout:
    kept: list[tuple[str, str]] = []
    latencies: list[tuple[str, str]] = []
    interactivities: list[tuple[str, str]] = []
    for key in keys:
        if key in _IGNORED_RAW_KEYS:
            continue
        name = key.rstrip(":")  # benchmark_serving.py writes `request_goodput:`
        name = dialect.renamed_keys.get(name, name)
        names = _latency_names(name)
        if names is None:
            kept.append((key, name))
            continue
        seconds_key, interactivity_key = names
        latencies.append((key, seconds_key))
        if interactivity_key is not None:
            interactivities.append((key, interactivity_key))
    latency_keys = tuple(key for key, _ in latencies)
    canonical_keys = tuple(name for _, name in (*kept, *latencies, *interactivities))
    return _RawLayout(
        canonical_keys=(*canonical_keys, *_PER_GPU_THROUGHPUT_KEYS),
        kept_values=values_getter(tuple(key for key, _ in kept)),
        latency_keys=latency_keys,
        latency_values=values_getter(latency_keys),
        tpot_values=values_getter(tuple(key for key, _ in interactivities)),
    )


def _canonical_row(
    raw: dict[str, Any],
    loc: Loc,
    errors: list[FieldError],
    dialect: RawDialect,
    divisors: _GpuDivisors,
) -> dict[str, Any] | None:
    """The InferenceX-shaped row of one raw output; None when a field is bad (reported at its
    raw name)."""
    layout = _raw_layout(tuple(raw), dialect)
    errors_before = len(errors)
    milliseconds = layout.latency_values(raw)
    # The median tpot is the row's interactivity, so it must be positive, not just ≥ 0.
    if raw.get(_INTERACTIVITY_SOURCE) == 0 or not all_non_negative_finite_or_null(milliseconds):
        for key, value in zip(layout.latency_keys, milliseconds, strict=True):
            if value is not None:
                reader = positive_number if key == _INTERACTIVITY_SOURCE else non_negative_number
                checked(errors, (*loc, key), reader, value)
    if (
        raw.get(_INTERACTIVITY_SOURCE) is None
        and raw.get("median_tpot") is None
        and raw.get("median_intvty") is None
    ):
        message = "no interactivity: a raw output needs median_tpot_ms (or median_tpot in s)"
        errors.append(FieldError((*loc, _INTERACTIVITY_SOURCE), message, "missing"))
    throughputs = _per_gpu_throughputs(raw, loc, errors, dialect, divisors)
    if throughputs is None or len(errors) > errors_before:
        return None
    seconds = [None if value is None else value / 1000 for value in milliseconds]
    interactivities = [1000 / value if value else None for value in layout.tpot_values(raw)]
    values = (*layout.kept_values(raw), *seconds, *interactivities, *throughputs)
    return dict(zip(layout.canonical_keys, values, strict=True))


def _per_gpu_throughputs(
    raw: dict[str, Any],
    loc: Loc,
    errors: list[FieldError],
    dialect: RawDialect,
    divisors: _GpuDivisors,
) -> tuple[float, float, float] | None:
    """Total, output and input throughput per GPU, in `_PER_GPU_THROUGHPUT_KEYS` order."""
    output_key = _first_present(raw, dialect.output_throughput_keys)
    total_key = _first_present(raw, dialect.total_throughput_keys)
    input_key = dialect.input_throughput_key
    if output_key is None:
        message = f"{dialect.output_throughput_keys[0]} is required: output tokens per second"
        errors.append(FieldError((*loc, dialect.output_throughput_keys[0]), message, "missing"))
        output = None
    else:
        output = checked_positive(errors, (*loc, output_key), raw[output_key])
    if total_key is not None:
        total = checked_positive(errors, (*loc, total_key), raw[total_key])
    elif raw.get(input_key) is not None:
        input_throughput = checked_positive(errors, (*loc, input_key), raw[input_key])
        total = None if input_throughput is None or output is None else input_throughput + output
    else:
        total_name = dialect.total_throughput_keys[0]
        message = f"{total_name} is required (or {input_key} beside the output throughput)"
        errors.append(FieldError((*loc, total_name), message, "missing"))
        total = None
    if output is None or total is None:
        return None
    if output >= total:
        message = (
            f"{output_key} ({output}) must be below the total throughput ({total}): "
            "their difference is the input throughput"
        )
        errors.append(FieldError((*loc, str(output_key)), message))
        return None
    return (total / divisors.total, output / divisors.output, (total - output) / divisors.input)


def _first_present(raw: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if raw.get(key) is not None:
            return key
    return None
