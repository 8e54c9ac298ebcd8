"""The `benchmark-serving` and `vllm-bench` formats: the JSON object that InferenceX's fork of
vLLM's `benchmark_serving.py`, and vLLM's `vllm bench serve`, write per concurrency."""

from __future__ import annotations

from typing import Any

from tracker.errors import FieldError
from tracker.ingest.formats.config_fields import SubmissionConfig
from tracker.ingest.formats.notes import ParseNotes
from tracker.ingest.formats.raw import RawDialect, parse_raw_rows
from tracker.ingest.formats.rows import ResultRow


def _dialect(format_name: str) -> RawDialect:
    return RawDialect(
        format_name=format_name,
        total_throughput_keys=("total_token_throughput",),
        output_throughput_keys=("output_throughput",),
        input_throughput_key="input_throughput",
        renamed_keys={},
        model_paths=(("model_id",),),
    )


BENCHMARK_SERVING = _dialect("benchmark-serving")
VLLM_BENCH = _dialect("vllm-bench")


def parse_benchmark_serving_rows(
    results: list[Any], submission: SubmissionConfig, errors: list[FieldError], notes: ParseNotes
) -> list[tuple[int, ResultRow]]:
    """Convert `benchmark_serving.py` outputs to result rows (see `tracker.ingest.formats.raw`)."""
    return parse_raw_rows(results, submission, errors, notes, BENCHMARK_SERVING)


def parse_vllm_bench_rows(
    results: list[Any], submission: SubmissionConfig, errors: list[FieldError], notes: ParseNotes
) -> list[tuple[int, ResultRow]]:
    """Convert `vllm bench serve` outputs to result rows (same keys as benchmark_serving.py)."""
    return parse_raw_rows(results, submission, errors, notes, VLLM_BENCH)
