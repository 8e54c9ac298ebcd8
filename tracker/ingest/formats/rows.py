"""The canonical result row, and reading its measurements from an InferenceX-shaped row.

An InferenceX-shaped row has latencies in seconds (`{stat}_{ttft,tpot,itl,e2el}`), interactivity
in tok/s/user (`{stat}_intvty`) and throughput per GPU; raw formats are converted to that shape
before their measurements are read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from operator import itemgetter
from typing import Any

from tracker.configs.identity import Config
from tracker.errors import FieldError
from tracker.ingest.formats.config_fields import COMPONENT_FIELDS, component_text
from tracker.ingest.formats.notes import ParseNotes
from tracker.ingest.formats.values import (
    Loc,
    all_non_negative_finite_or_null,
    all_plain_json,
    all_positive_finite,
    checked,
    checked_positive,
    is_non_negative_finite,
    is_plain_json,
    json_safe,
    non_negative_number,
)


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One benchmark point: a config at one concurrency, with its metrics (docs/README.md)."""

    config: Config
    conc: int
    median_intvty: float
    """Median interactivity, tok/s/user."""
    tput_per_gpu: float
    """Total (input + output) token throughput per GPU, tok/s; positive and finite."""
    output_tput_per_gpu: float | None
    input_tput_per_gpu: float | None
    median_ttft_s: float | None
    p99_ttft_s: float | None
    median_tpot_s: float | None
    median_e2el_s: float | None
    joules_per_output_token: float | None
    """GPU energy per output token, J, when the row carries valid power fields (InferenceX's
    `power_valid` not 0)."""
    components: dict[str, str]
    """recipe_fingerprint, router, kv_p2p_transfer, image (those present and not empty), the
    runner label and the benchmark client; not in the key."""
    extra: dict[str, Any]
    """Every other field of the canonical row (seconds, tok/s/user), unknown ones included."""
    completed: int | None = None
    """Requests that completed, when the row says (docs/formats.md#failed-requests)."""
    requested: int | None = None
    """Requests the run sent, when the row says."""
    failed: int | None = None
    """Requests that failed, when the row says."""


STAT_PATTERN = r"(?:mean|median|std|min|max|p\d+(?:\.\d+)?)"
"""The statistic prefix of a latency or interactivity key (`p99.9_ttft`)."""

_METRIC_KEY = re.compile(rf"{STAT_PATTERN}_(?:ttft|tpot|itl|e2el|intvty)(?:_ms)?")

# std of 1 / tpot is not 1 / std of tpot: InferenceX writes it, but it means nothing.
IGNORED_KEYS = frozenset({"std_intvty"})

PER_REQUEST_KEYS = frozenset(
    {
        "input_lens",
        "output_lens",
        "ttfts",
        "itls",
        "latencies",
        "start_times",
        "queue_times",
        "generated_texts",
        "errors",
    }
)
"""One value per request (`--output-details`, `--save-detailed`, and vLLM's `latencies` and
`queue_times` always): dropped at ingest, a list of them counted; `errors` is read first."""

_COMPLETED_KEY = "completed"
_REQUESTED_KEY = "num_prompts"
_FAILED_KEY = "failed"
_ERRORS_KEY = "errors"
_COUNT_KEYS = frozenset({_COMPLETED_KEY, _REQUESTED_KEY, _FAILED_KEY, _ERRORS_KEY})

_REQUIRED_THROUGHPUT = "tput_per_gpu"
_OPTIONAL_THROUGHPUTS = ("output_tput_per_gpu", "input_tput_per_gpu")
_INTERACTIVITY_SOURCES = ("median_intvty", "median_tpot", "median_tpot_ms")
_HEADLINE_LATENCIES = ("median_ttft", "p99_ttft", "median_tpot", "median_e2el")
_ENERGY = "joules_per_output_token"
_POWER_VALID = "power_valid"
_HEADLINE_KEYS = frozenset(
    (
        _REQUIRED_THROUGHPUT,
        *_OPTIONAL_THROUGHPUTS,
        *_INTERACTIVITY_SOURCES,
        *_HEADLINE_LATENCIES,
        _ENERGY,
    )
)
_COMPONENT_KEYS = frozenset(COMPONENT_FIELDS)
_HEADLINE_LATENCIES_MAY_BE_ZERO = frozenset({"median_ttft", "p99_ttft", "median_e2el"})


class _KeyKind(Enum):
    HEADLINE = "headline"  # becomes a ResultRow field
    METRIC = "metric"  # a latency or interactivity statistic kept in extra, checked finite
    COMPONENT = "component"
    IGNORED = "ignored"
    PER_REQUEST = "per_request"  # dropped, counted
    OTHER = "other"  # kept in extra as sent


def _key_kind(key: str) -> _KeyKind:
    if key in _HEADLINE_KEYS:
        return _KeyKind.HEADLINE
    if key in IGNORED_KEYS:
        return _KeyKind.IGNORED
    if key in PER_REQUEST_KEYS:
        return _KeyKind.PER_REQUEST
    if key in _COMPONENT_KEYS:
        return _KeyKind.COMPONENT
    if _METRIC_KEY.fullmatch(key):
        return _KeyKind.METRIC
    return _KeyKind.OTHER


def values_getter(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function returning the values of `keys` from a row, as a tuple (at C speed)."""
    if not keys:
        return lambda row: ()
    if len(keys) == 1:
        only_key = keys[0]
        return lambda row: (row[only_key],)
    return itemgetter(*keys)


@dataclass(frozen=True, slots=True)
class _RowLayout:
    """Where each key of one row shape goes. The rows of a submission share a few shapes, so
    classifying keys once per shape (not once per row) keeps parsing fast."""

    headline: tuple[str, ...]
    headline_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    components: tuple[str, ...]
    not_extra: tuple[str, ...]
    """Keys deleted from a copy of the row to leave its extra fields."""
    metrics: tuple[str, ...]
    metric_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    others: tuple[str, ...]
    other_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    per_request: tuple[str, ...]
    reads_counts: bool
    """Whether the shape has a request count (`completed`, `num_prompts`, `failed`, `errors`)."""


@lru_cache(maxsize=256)
def _row_layout(keys: tuple[str, ...], skip: frozenset[str]) -> _RowLayout:
    kinds = {key: _key_kind(key) for key in keys if key not in skip}

    def of_kind(wanted: _KeyKind) -> tuple[str, ...]:
        return tuple(key for key, kind in kinds.items() if kind is wanted)

    headline, metrics, others = (
        of_kind(_KeyKind.HEADLINE),
        of_kind(_KeyKind.METRIC),
        of_kind(_KeyKind.OTHER),
    )
    return _RowLayout(
        headline=headline,
        headline_values=values_getter(headline),
        components=of_kind(_KeyKind.COMPONENT),
        not_extra=tuple(key for key in keys if key not in metrics and key not in others),
        metrics=metrics,
        metric_values=values_getter(metrics),
        others=others,
        other_values=values_getter(others),
        per_request=of_kind(_KeyKind.PER_REQUEST),
        reads_counts=not _COUNT_KEYS.isdisjoint(keys),
    )


def read_result_row(
    row: Mapping[str, Any],
    loc: Loc,
    errors: list[FieldError],
    *,
    config: Config | None,
    conc: int | None,
    skip: frozenset[str],
    default_components: Mapping[str, str],
    notes: ParseNotes,
) -> ResultRow | None:
    """Check the measurements of an InferenceX-shaped row (keys in `skip` are the caller's)
    and make its result row. Returns None, with the reasons in `errors`, when a field is bad,
    the row has no throughput or no interactivity source, or `config` or `conc` is None (the
    caller could not read them; the measurements are still checked).

    Interactivity is `median_intvty`, else 1 / `median_tpot` (s), else 1000 / `median_tpot_ms`.
    Per-request lists are dropped and counted in `notes`.
    """
    errors_before = len(errors)
    layout = _row_layout(tuple(row), skip)
    extra = dict(row)
    for key in layout.not_extra:
        del extra[key]
    if not all_non_negative_finite_or_null(layout.metric_values(row)):
        for key in layout.metrics:
            value = row[key]
            if value is not None and not is_non_negative_finite(value):
                checked(errors, (*loc, key), non_negative_number, value)
    if not all_plain_json(layout.other_values(row)):
        for key in layout.others:
            if not is_plain_json(row[key]):
                extra[key] = checked(errors, (*loc, key), json_safe, row[key])
    headline_values = layout.headline_values(row)
    headline: dict[str, float | None]
    if all_positive_finite(headline_values):
        headline = dict(zip(layout.headline, map(float, headline_values), strict=True))
    else:
        headline = {key: _checked_headline(errors, loc, key, row[key]) for key in layout.headline}
    components = dict(default_components)
    for key in layout.components:
        value = component_text(row[key])
        if value is not None:
            components[key] = value
    for key in layout.per_request:
        if isinstance(row[key], list):
            notes.dropped[key] += 1
        else:  # not the per-request list the name stands for: kept like any field
            extra[key] = checked(errors, (*loc, key), json_safe, row[key])
    counts = _request_counts(row) if layout.reads_counts else _NO_COUNTS

    tput_per_gpu = headline.get(_REQUIRED_THROUGHPUT)
    if _REQUIRED_THROUGHPUT not in row:
        message = f"{_REQUIRED_THROUGHPUT} is required: total token throughput per GPU"
        errors.append(FieldError((*loc, _REQUIRED_THROUGHPUT), message, "missing"))
    median_intvty = _interactivity(row, headline, loc, errors)
    if (
        len(errors) > errors_before
        or tput_per_gpu is None
        or median_intvty is None
        or config is None
        or conc is None
    ):
        return None

    median_tpot_s = headline.get("median_tpot")
    median_tpot_ms = headline.get("median_tpot_ms")
    if median_tpot_s is None and median_tpot_ms is not None:
        median_tpot_s = median_tpot_ms / 1000
    joules_per_output_token = headline.get(_ENERGY)
    if joules_per_output_token is not None and row.get(_POWER_VALID, 1) in (0, False):
        joules_per_output_token = None  # measured without a valid power reading: kept as sent
        extra[_ENERGY] = row[_ENERGY]
    return ResultRow(
        config=config,
        conc=conc,
        median_intvty=median_intvty,
        tput_per_gpu=tput_per_gpu,
        output_tput_per_gpu=headline.get("output_tput_per_gpu"),
        input_tput_per_gpu=headline.get("input_tput_per_gpu"),
        median_ttft_s=headline.get("median_ttft"),
        p99_ttft_s=headline.get("p99_ttft"),
        median_tpot_s=median_tpot_s,
        median_e2el_s=headline.get("median_e2el"),
        joules_per_output_token=joules_per_output_token,
        components=components,
        extra=extra,
        completed=counts[0],
        requested=counts[1],
        failed=counts[2],
    )


_NO_COUNTS: tuple[None, None, None] = (None, None, None)


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _request_counts(row: Mapping[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(completed, requested, failed) as the row states them: `completed`, `num_prompts`,
    `failed`, or, for what those leave open, the per-request `errors` list (one entry per
    request, empty for a success). A value that is not a count is left to `extra` alone."""
    completed = _count(row.get(_COMPLETED_KEY))
    requested = _count(row.get(_REQUESTED_KEY))
    failed = _count(row.get(_FAILED_KEY))
    request_errors = row.get(_ERRORS_KEY)
    if isinstance(request_errors, list):
        if requested is None:
            requested = len(request_errors)
        if failed is None:
            failed = sum(1 for error in request_errors if error)
        if completed is None:
            completed = requested - failed
    return completed, requested, failed


def _checked_headline(errors: list[FieldError], loc: Loc, key: str, value: Any) -> float | None:
    if value is None:
        if key == _REQUIRED_THROUGHPUT:
            message = f"{_REQUIRED_THROUGHPUT} must be a positive finite number, got null"
            errors.append(FieldError((*loc, key), message, "missing"))
        return None
    # Latencies may be 0; throughput and interactivity (and tpot, its inverse) must be > 0.
    if key in _HEADLINE_LATENCIES_MAY_BE_ZERO:
        return checked(errors, (*loc, key), non_negative_number, value)
    return checked_positive(errors, (*loc, key), value)


def _interactivity(
    row: Mapping[str, Any],
    headline: Mapping[str, float | None],
    loc: Loc,
    errors: list[FieldError],
) -> float | None:
    for key, per_unit in zip(_INTERACTIVITY_SOURCES, (None, 1.0, 1000.0), strict=True):
        if row.get(key) is None:
            continue
        value = headline[key]
        if value is None:  # present but bad: already reported
            return None
        return value if per_unit is None else per_unit / value
    errors.append(
        FieldError(
            (*loc, "median_intvty"),
            "no interactivity: a row needs median_intvty (tok/s/user), median_tpot (s) "
            "or median_tpot_ms",
            "missing",
        )
    )
    return None
