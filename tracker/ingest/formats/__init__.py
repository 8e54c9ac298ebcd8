"""Submitted result rows → canonical result rows (docs/formats.md), every format and shape.

`parse_results` is the one entry point: it validates a whole submission's rows and raises one
`InvalidSubmission` naming every bad field, with locations relative to the submission body.

Decisions where the design leaves a choice:
- Numbers must be JSON numbers: a numeric string ("8", "55.6") is rejected with a type error;
  only booleans fold from "true"/"false". An integral float (8.0) counts as the integer 8.
- Every format needs a topology (`tp`, or `num_prefill_gpu` and `num_decode_gpu`, from the row
  or the config), so that `gpus` is always known.
- The submission's `config` takes the canonical names of docs/configs.md and the component names
  (`image`, `router`, `recipe_fingerprint`, `kv_p2p_transfer`, defaults for every row); any
  other name is rejected with a hint (`hw` → did you mean `hardware`?).
- Metrics (throughputs, `{stat}_{ttft,tpot,itl,e2el,intvty}` and their `_ms` forms) must be
  finite and ≥ 0; throughputs and the interactivity source must be > 0. Other fields are kept
  in `extra` whatever their JSON type; a non-finite number among them (SGLang writes
  `"request_rate": Infinity`) is stored as the string "Infinity"/"-Infinity"/"NaN".
- `std_intvty` is dropped (meaningless); config fields a row shape cannot hold (a group without
  its anchor, e.g. `ep` without `tp`) stay in `extra` under their row name.
- Raw formats: `extra` holds the raw keys minus `date` and `max_concurrency`, latencies renamed
  to seconds (`p99_ttft_ms` → `p99_ttft`), `{stat}_intvty` added for each tpot statistic but std,
  `request_goodput:` without its colon, SGLang's older names (`total_input`, `total_output`)
  under the current ones. A raw config whose sizes lack their group's anchor is rejected.
- A required config field that every row lacks is reported once, at `("config", field)`; one
  that only some rows lack, at each of those rows.
- Duplicates (same config key and conc) are identical when every field, components, extra and
  the `model_prefix` label included, is equal; the first is kept. Rows that differ only in
  `model_prefix` are a conflict, not two rows of one sweep.
- Rows of a scenario the tracker knows but does not analyse (`agentic-coding`) are skipped:
  kept in the raw payload, out of configs and sweeps, listed in the answer. A body with no row
  left to analyse is a 422.
- Per-request lists (`ttfts`, `itls`, `generated_texts`, `errors`, …) are dropped and counted;
  a raw format takes its `model` from the rows (`model_id`) when the config omits it; an empty
  component value is no component; rows that all look raw, sent as `inferencex`, are one error
  naming the format they look like.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tracker.configs.hardware import KNOWN_GPUS, is_known_gpu
from tracker.configs.identity import Config
from tracker.errors import FieldError, InvalidSubmission
from tracker.ingest.formats.benchmark_serving import (
    parse_benchmark_serving_rows,
    parse_vllm_bench_rows,
)
from tracker.ingest.formats.config_fields import (
    CLIENT_COMPONENT,
    RUNNER_COMPONENT,
    SubmissionConfig,
    read_submission_config,
)
from tracker.ingest.formats.duplicates import fold_duplicates
from tracker.ingest.formats.inferencex import parse_inferencex_rows
from tracker.ingest.formats.notes import ParseNotes, SkippedRow
from tracker.ingest.formats.rows import PER_REQUEST_KEYS, ResultRow
from tracker.ingest.formats.sglang_bench import parse_sglang_bench_rows
from tracker.ingest.formats.values import describe

__all__ = [
    "FORMATS",
    "PER_REQUEST_KEYS",
    "ParseNotes",
    "ParsedResults",
    "ResultRow",
    "SkippedRow",
    "parse_results",
]

RowParser = Callable[
    [list[Any], SubmissionConfig, list[FieldError], ParseNotes], list[tuple[int, ResultRow]]
]


@dataclass(frozen=True)
class _Format:
    parse_rows: RowParser
    client: str
    """The benchmark client that writes the format: the sweeps' `client` component."""


_FORMATS: dict[str, _Format] = {
    "inferencex": _Format(parse_inferencex_rows, "inferencex"),
    # InferenceX's own fork of benchmark_serving.py writes it.
    "benchmark-serving": _Format(parse_benchmark_serving_rows, "inferencex"),
    "vllm-bench": _Format(parse_vllm_bench_rows, "vllm-bench"),
    "sglang-bench": _Format(parse_sglang_bench_rows, "sglang-bench"),
}

FORMATS: tuple[str, ...] = tuple(_FORMATS)
"""The submission formats, `inferencex` (the default) first."""


@dataclass(frozen=True)
class ParsedResults:
    """A submission's rows, canonical and de-duplicated, with what parsing noticed."""

    rows: list[ResultRow]
    notes: ParseNotes


def parse_results(
    *, format: str, results: list[Any], config: Mapping[str, Any] | None
) -> ParsedResults:
    """Validate and convert a submission's `results` in `format`, with its optional `config`
    (canonical field names; required for raw formats), to canonical rows.

    Identical duplicate rows (same config key and conc) are folded into one; rows of a scenario
    the tracker does not analyse are skipped. Raises InvalidSubmission listing every bad field,
    at locations such as `("results", 3, "tput_per_gpu")`, `("config", "isl")` or
    `("format",)`, and when no row is left to analyse.
    """
    errors: list[FieldError] = []
    notes = ParseNotes()
    known_format = _FORMATS.get(format) if isinstance(format, str) else None
    if known_format is None:
        message = f"format must be one of {', '.join(FORMATS)}, got {describe(format)}"
        errors.append(FieldError(("format",), message, "enum"))
    submission = read_submission_config(config, errors)
    indexed_rows: list[tuple[int, ResultRow]] = []
    if not isinstance(results, list) or not results:
        message = f"results must be a non-empty list of rows, got {describe(results)}"
        errors.append(FieldError(("results",), message, "too_short"))
    elif known_format is not None:
        submission = replace(
            submission, components={CLIENT_COMPONENT: known_format.client, **submission.components}
        )
        indexed_rows = known_format.parse_rows(results, submission, errors, notes)
    rows = fold_duplicates(indexed_rows, errors)
    if not errors and not rows:
        errors.append(_nothing_to_analyse(notes.skipped))
    if errors:
        raise InvalidSubmission(errors)
    notes.warnings.extend(_unknown_hardware(indexed_rows, format))
    return ParsedResults(rows=rows, notes=notes)


def _nothing_to_analyse(skipped: list[SkippedRow]) -> FieldError:
    reasons = "; ".join(f"results[{row.index}]: {row.reason}" for row in skipped[:3])
    more = f" (and {len(skipped) - 3} more)" if len(skipped) > 3 else ""
    message = f"no row can be analysed: every row is skipped ({reasons}{more})"
    return FieldError(("results",), message, "nothing_to_analyse")


def _unknown_hardware(indexed_rows: list[tuple[int, ResultRow]], format: str) -> list[FieldError]:
    """A warning per hardware the tracker does not know, at its first row: the series is
    stored under the name as folded, without a cost."""
    warnings: list[FieldError] = []
    seen_configs: set[Config] = set()
    seen_hardware: set[str] = set()
    for index, row in indexed_rows:
        if row.config in seen_configs:
            continue
        seen_configs.add(row.config)
        hardware = row.config.hardware
        if hardware in seen_hardware or is_known_gpu(hardware):
            continue
        seen_hardware.add(hardware)
        runner = row.components.get(RUNNER_COMPONENT)
        loc: tuple[str | int, ...] = (
            ("results", index, "hw") if format == "inferencex" else ("config", "hardware")
        )
        message = (
            f"hardware {hardware!r}"
            + (f" (runner {runner!r})" if runner else "")
            + " is not a GPU the tracker knows: its series is kept under that name, without a "
            f"cost (known: {', '.join(KNOWN_GPUS)})"
        )
        warnings.append(FieldError(loc, message, "hardware_unknown"))
    return warnings
