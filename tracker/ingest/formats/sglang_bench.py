"""The `sglang-bench` format: the objects SGLang's `bench_serving` appends to its JSONL output,
one per line. Key names vary by SGLang version; the known variants are accepted.

`conc` is `max_concurrency` (the measured `concurrency` beside it is kept in extra); the total
throughput is `total_throughput`, else its retokenized twin, else input + output throughput;
output throughput is `output_throughput`, else `output_throughput_retokenized`.
`*_e2e_latency_ms` is the end-to-end latency (e2el). The model, when the config omits it, is
`server_info.model_path`.
"""

from __future__ import annotations

from typing import Any

from tracker.errors import FieldError
from tracker.ingest.formats.config_fields import SubmissionConfig
from tracker.ingest.formats.notes import ParseNotes
from tracker.ingest.formats.raw import RawDialect, parse_raw_rows
from tracker.ingest.formats.rows import ResultRow

SGLANG_BENCH = RawDialect(
    format_name="sglang-bench",
    total_throughput_keys=("total_throughput", "total_throughput_retokenized"),
    output_throughput_keys=("output_throughput", "output_throughput_retokenized"),
    input_throughput_key="input_throughput",
    renamed_keys={
        "total_input": "total_input_tokens",
        "total_output": "total_output_tokens",
        "total_output_retokenized": "total_output_tokens_retokenized",
    },
    model_paths=(("model_id",), ("server_info", "model_path")),
)


def parse_sglang_bench_rows(
    results: list[Any], submission: SubmissionConfig, errors: list[FieldError], notes: ParseNotes
) -> list[tuple[int, ResultRow]]:
    """Convert SGLang `bench_serving` objects to result rows (see `tracker.ingest.formats.raw`)."""
    return parse_raw_rows(results, submission, errors, notes, SGLANG_BENCH)
