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
- Duplicates (same config and conc) are identical when every field, components and extra
  included, is equal; the first is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tracker.errors import FieldError, InvalidSubmission
from tracker.ingest.formats.benchmark_serving import (
    parse_benchmark_serving_rows,
    parse_vllm_bench_rows,
)
from tracker.ingest.formats.config_fields import SubmissionConfig, read_submission_config
from tracker.ingest.formats.duplicates import fold_duplicates
from tracker.ingest.formats.inferencex import parse_inferencex_rows
from tracker.ingest.formats.rows import ResultRow
from tracker.ingest.formats.sglang_bench import parse_sglang_bench_rows
from tracker.ingest.formats.values import describe

__all__ = ["FORMATS", "ResultRow", "parse_results"]

RowParser = Callable[[list[Any], SubmissionConfig, list[FieldError]], list[tuple[int, ResultRow]]]

_PARSERS: dict[str, RowParser] = {
    "inferencex": parse_inferencex_rows,
    "benchmark-serving": parse_benchmark_serving_rows,
    "vllm-bench": parse_vllm_bench_rows,
    "sglang-bench": parse_sglang_bench_rows,
}

FORMATS: tuple[str, ...] = tuple(_PARSERS)
"""The submission formats, `inferencex` (the default) first."""


def parse_results(
    *, format: str, results: list[Any], config: Mapping[str, Any] | None
) -> list[ResultRow]:
    """Validate and convert a submission's `results` in `format`, with its optional `config`
    (canonical field names; required for raw formats), to canonical rows.

    Identical duplicate rows (same config and conc) are folded into one. Raises
    InvalidSubmission listing every bad field, at locations such as
    `("results", 3, "tput_per_gpu")`, `("config", "isl")` or `("format",)`.
    """
    errors: list[FieldError] = []
    parse_rows = _PARSERS.get(format) if isinstance(format, str) else None
    if parse_rows is None:
        message = f"format must be one of {', '.join(FORMATS)}, got {describe(format)}"
        errors.append(FieldError(("format",), message, "enum"))
    submission = read_submission_config(config, errors)
    indexed_rows: list[tuple[int, ResultRow]] = []
    if not isinstance(results, list) or not results:
        message = f"results must be a non-empty list of rows, got {describe(results)}"
        errors.append(FieldError(("results",), message, "too_short"))
    elif parse_rows is not None:
        indexed_rows = parse_rows(results, submission, errors)
    rows = fold_duplicates(indexed_rows, errors)
    if errors:
        raise InvalidSubmission(errors)
    return rows
