"""Malformed submissions: one InvalidSubmission naming every bad field, at its exact location."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.support.builders import GPT_OSS_CONFIG
from tests.support.data import INFERENCEX_SAMPLES
from tracker.errors import FieldError, InvalidSubmission
from tracker.ingest.formats import parse_results

RAW_CONFIG = GPT_OSS_CONFIG


def kimi_row(**overrides: Any) -> dict[str, Any]:
    """The real Kimi-K2.5 processed row at conc 4, with `overrides` applied (None deletes)."""
    path = next((INFERENCEX_SAMPLES / "fixed_seq_len_agg").glob("agg_kimik2.5_1k1k_*.json"))
    row: dict[str, Any] = json.loads(path.read_text())
    for key, value in overrides.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def raw_output(**overrides: Any) -> dict[str, Any]:
    """The real gpt-oss benchmark_serving output at conc 16, with `overrides` (None deletes)."""
    path = INFERENCEX_SAMPLES / "raw_benchmark_serving" / "gptoss-120b"
    row: dict[str, Any] = json.loads(next(path.glob("concurrency_16_*.json")).read_text())
    for key, value in overrides.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def rejection(*, results: Any, config: Any = None, format: str = "inferencex") -> list[FieldError]:
    with pytest.raises(InvalidSubmission) as raised:
        parse_results(format=format, results=results, config=config)
    return raised.value.errors


def only_error(**submission: Any) -> FieldError:
    errors = rejection(**submission)
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_throughput(value: float) -> None:
    error = only_error(results=[kimi_row(tput_per_gpu=value)])
    assert error.loc == ("results", 0, "tput_per_gpu")
    assert error.msg.startswith("tput_per_gpu must be a positive finite number, got ")


def test_infinite_interactivity() -> None:
    error = only_error(results=[kimi_row(median_intvty=math.inf)])
    assert error.loc == ("results", 0, "median_intvty")
    assert error.msg == "median_intvty must be a positive finite number, got Infinity"


def test_nan_in_a_latency_kept_in_extra() -> None:
    error = only_error(results=[kimi_row(p99_ttft=math.nan)])
    assert error.loc == ("results", 0, "p99_ttft")
    assert error.msg == "p99_ttft must be a non-negative finite number, got NaN"


@pytest.mark.parametrize("value", [-3.0, 0, 0.0])
def test_negative_or_zero_throughput(value: float) -> None:
    error = only_error(results=[kimi_row(), kimi_row(conc=8, tput_per_gpu=value)])
    assert error.loc == ("results", 1, "tput_per_gpu")
    assert error.msg == f"tput_per_gpu must be a positive finite number, got {value!r}"


def test_missing_throughput() -> None:
    error = only_error(results=[kimi_row(tput_per_gpu=None)])
    assert error.loc == ("results", 0, "tput_per_gpu")
    assert error.type == "missing"


def test_no_interactivity_source() -> None:
    error = only_error(results=[kimi_row(median_intvty=None, median_tpot=None)])
    assert error.loc == ("results", 0, "median_intvty")
    assert "median_intvty" in error.msg
    assert "median_tpot (s)" in error.msg
    assert "median_tpot_ms" in error.msg


def test_unknown_format() -> None:
    error = only_error(format="csv", results=[kimi_row()])
    assert error.loc == ("format",)
    assert error.msg == (
        "format must be one of inferencex, benchmark-serving, vllm-bench, sglang-bench, "
        "got the string 'csv'"
    )


def test_numeric_string_where_a_number_is_needed() -> None:
    error = only_error(results=[kimi_row(tput_per_gpu="55.6")])
    assert error.loc == ("results", 0, "tput_per_gpu")
    assert error.msg == "tput_per_gpu must be a positive finite number, got the string '55.6'"
    assert error.type == "type_error"


def test_boolean_where_a_number_is_needed() -> None:
    error = only_error(results=[kimi_row(tp=True)])
    assert error.loc == ("results", 0, "tp")
    assert error.msg == "tp must be a positive integer, got true"


@pytest.mark.parametrize("results", [[], None, {"conc": 4}])
def test_empty_or_missing_results(results: Any) -> None:
    error = only_error(results=results)
    assert error.loc == ("results",)
    assert error.msg.startswith("results must be a non-empty list of rows")


@pytest.mark.parametrize("not_an_object", [3, "row", ["hw", "mi355x"], None])
def test_a_result_that_is_not_an_object(not_an_object: Any) -> None:
    error = only_error(results=[kimi_row(), not_an_object])
    assert error.loc == ("results", 1)
    assert error.msg.startswith("each result must be an object, got ")


def test_conflicting_duplicate_rows() -> None:
    error = only_error(results=[kimi_row(), kimi_row(tput_per_gpu=60.0)])
    assert error.loc == ("results", 1)
    assert error.type == "duplicate_conflict"
    assert error.msg.startswith(
        "results[1] repeats the config and conc 4 of results[0] with different values: "
        "tput_per_gpu 55.6"
    )
    assert "vs 60.0" in error.msg


def test_missing_config_field_in_every_row_is_reported_once_at_config() -> None:
    error = only_error(results=[kimi_row(hw=None), kimi_row(conc=8, hw=None)])
    assert error.loc == ("config", "hardware")
    assert error.type == "missing"


def test_missing_config_field_in_some_rows_is_reported_at_those_rows() -> None:
    error = only_error(results=[kimi_row(), kimi_row(conc=8, precision=None)])
    assert error.loc == ("results", 1, "precision")
    assert error.msg.startswith("precision is required")


def test_v0_rows_without_isl_osl_and_no_config() -> None:
    errors = rejection(results=[kimi_row(isl=None, osl=None)])
    assert [error.loc for error in errors] == [("config", "isl"), ("config", "osl")]


@pytest.mark.parametrize("format_name", ["benchmark-serving", "vllm-bench", "sglang-bench"])
def test_raw_format_without_config(format_name: str) -> None:
    # Total throughput has an SGLang spelling too, so the row suits every raw format.
    row = raw_output(total_throughput=raw_output()["total_token_throughput"])
    error = only_error(format=format_name, results=[row], config=None)
    assert error.loc == ("config",)
    assert error.msg.startswith(f"config is required for format {format_name}")


def test_raw_config_without_topology() -> None:
    config = {**RAW_CONFIG, "num_prefill_gpu": None, "num_decode_gpu": None}
    error = only_error(format="benchmark-serving", results=[raw_output()], config=config)
    assert error.loc == ("config", "tp")
    assert error.msg == "a topology is required: tp, or num_prefill_gpu and num_decode_gpu"


def test_raw_config_with_only_one_gpu_count() -> None:
    config = {key: value for key, value in RAW_CONFIG.items() if key != "num_decode_gpu"}
    error = only_error(format="benchmark-serving", results=[raw_output()], config=config)
    assert error.loc == ("config", "num_decode_gpu")


@pytest.mark.parametrize("field", ["hardware", "framework", "precision", "isl", "osl"])
def test_raw_config_missing_a_required_field(field: str) -> None:
    config = {key: value for key, value in RAW_CONFIG.items() if key != field}
    error = only_error(format="vllm-bench", results=[raw_output()], config=config)
    assert error.loc == ("config", field)
    assert error.msg == f"{field} is required"


def test_raw_config_with_a_size_but_not_its_group_anchor() -> None:
    error = only_error(
        format="benchmark-serving",
        results=[raw_output()],
        config={
            **RAW_CONFIG,
            "ep": 8,
        },
    )
    assert error.loc == ("config", "ep")
    assert error.msg == "ep is given without tp, which its group needs"


def test_raw_model_from_neither_config_nor_rows() -> None:
    config = {key: value for key, value in RAW_CONFIG.items() if key != "model"}
    error = only_error(format="vllm-bench", results=[raw_output(model_id=None)], config=config)
    assert error.loc == ("config", "model")
    assert error.msg == "model is required: the config does not give it and no row carries model_id"


def test_raw_model_missing_from_some_rows_is_named_at_each() -> None:
    config = {key: value for key, value in RAW_CONFIG.items() if key != "model"}
    errors = rejection(
        format="benchmark-serving",
        results=[raw_output(), raw_output(model_id=None, max_concurrency=8)],
        config=config,
    )
    assert [(error.loc, error.msg) for error in errors] == [
        (
            ("results", 1, "model_id"),
            "model is required: give model in the config, or model_id in the row",
        )
    ]


def test_a_body_of_agentic_rows_only_has_nothing_to_analyse() -> None:
    error = only_error(results=[kimi_row(scenario_type="agentic-coding")])
    assert error.loc == ("results",)
    assert error.msg == (
        "no row can be analysed: every row is skipped (results[0]: scenario agentic-coding is "
        "not analysed)"
    )
    assert error.type == "nothing_to_analyse"


def test_agentic_coding_in_the_submissions_config_is_not_supported_yet() -> None:
    error = only_error(results=[kimi_row()], config={"scenario": "agentic-coding"})
    assert error.loc == ("config", "scenario")
    assert error.type == "scenario_not_supported"


def test_unknown_scenario() -> None:
    error = only_error(results=[kimi_row()], config={"scenario": "long-context"})
    assert error.loc == ("config", "scenario")
    assert error.msg == (
        "scenario must be a known scenario (fixed-seq-len, agentic-coding), "
        "got the string 'long-context'"
    )


@pytest.mark.parametrize(("conc", "why"), [(4.5, "4.5"), ("4", "the string '4'"), (0, "0")])
def test_conc_must_be_a_positive_integer(conc: Any, why: str) -> None:
    error = only_error(results=[kimi_row(conc=conc)])
    assert error.loc == ("results", 0, "conc")
    assert error.msg == f"conc must be a positive integer, got {why}"


@pytest.mark.parametrize("isl", [0, -1024, 1024.5, "1024"])
def test_isl_must_be_a_positive_integer(isl: Any) -> None:
    error = only_error(results=[kimi_row(isl=isl)])
    assert error.loc == ("results", 0, "isl")
    assert error.msg.startswith("isl must be a positive integer, got ")


def test_osl_in_config_must_be_a_positive_integer() -> None:
    error = only_error(results=[kimi_row(osl=None)], config={"osl": -1})
    assert error.loc == ("config", "osl")
    assert error.msg == "osl must be a positive integer, got -1"


def test_boolean_fields_take_only_booleans_or_true_false_strings() -> None:
    error = only_error(results=[kimi_row(dp_attention="yes")])
    assert error.loc == ("results", 0, "dp_attention")
    assert (
        error.msg
        == 'dp_attention must be true or false (or "true"/"false"), got the string \'yes\''
    )


def test_config_must_be_an_object() -> None:
    error = only_error(results=[kimi_row()], config=["isl", 1024])
    assert error.loc == ("config",)


def test_config_uses_canonical_names() -> None:
    error = only_error(results=[kimi_row()], config={"hw": "mi355x"})
    assert error.loc == ("config", "hw")
    assert error.msg == (
        "unknown config field 'hw' (config uses canonical names: did you mean 'hardware'?)"
    )


def test_raw_output_without_max_concurrency() -> None:
    error = only_error(
        format="benchmark-serving", results=[raw_output(max_concurrency=None)], config=RAW_CONFIG
    )
    assert error.loc == ("results", 0, "max_concurrency")


def test_raw_output_with_zero_median_tpot() -> None:
    error = only_error(
        format="benchmark-serving", results=[raw_output(median_tpot_ms=0)], config=RAW_CONFIG
    )
    assert error.loc == ("results", 0, "median_tpot_ms")
    assert error.msg == "median_tpot_ms must be a positive finite number, got 0"


def test_raw_output_without_interactivity() -> None:
    error = only_error(
        format="vllm-bench", results=[raw_output(median_tpot_ms=None)], config=RAW_CONFIG
    )
    assert error.loc == ("results", 0, "median_tpot_ms")
    assert error.type == "missing"


def test_raw_output_with_a_nan_latency_names_the_raw_key() -> None:
    error = only_error(
        format="benchmark-serving",
        results=[raw_output(**{"p99.9_ttft_ms": math.nan})],
        config=RAW_CONFIG,
    )
    assert error.loc == ("results", 0, "p99.9_ttft_ms")
    assert error.msg == "p99.9_ttft_ms must be a non-negative finite number, got NaN"


def test_raw_output_whose_output_exceeds_the_total() -> None:
    error = only_error(
        format="benchmark-serving",
        results=[raw_output(output_throughput=5000.0, total_token_throughput=4000.0)],
        config=RAW_CONFIG,
    )
    assert error.loc == ("results", 0, "output_throughput")


def test_raw_output_without_throughput() -> None:
    error = only_error(
        format="benchmark-serving",
        results=[raw_output(total_token_throughput=None)],
        config=RAW_CONFIG,
    )
    assert error.loc == ("results", 0, "total_token_throughput")
    assert error.type == "missing"


def test_sglang_line_with_negative_throughput_names_its_own_key() -> None:
    line = {
        "max_concurrency": 16,
        "median_tpot_ms": 10.0,
        "total_throughput": -1.0,
        "output_throughput": 100.0,
    }
    error = only_error(format="sglang-bench", results=[line], config={**RAW_CONFIG})
    assert error.loc == ("results", 0, "total_throughput")


def test_every_bad_field_is_named_in_one_answer() -> None:
    errors = rejection(
        results=[
            kimi_row(tput_per_gpu=-3.0),
            "not a row",
            kimi_row(conc=4.5, median_intvty=math.nan, dp_attention="maybe"),
            kimi_row(conc=64, scenario_type="agentic-coding"),
        ],
        config={"isl": 0, "gpus": 8},
    )
    assert [error.loc for error in errors] == [
        ("config", "isl"),
        ("config", "gpus"),
        ("results", 0, "tput_per_gpu"),
        ("results", 1),
        ("results", 2, "dp_attention"),
        ("results", 2, "conc"),
        ("results", 2, "median_intvty"),
    ]


def test_invalid_submission_message_lists_every_error() -> None:
    with pytest.raises(InvalidSubmission) as raised:
        parse_results(format="inferencex", results=[kimi_row(tput_per_gpu=-3.0)], config=None)
    assert str(raised.value) == (
        "results.0.tput_per_gpu: tput_per_gpu must be a positive finite number, got -3.0"
    )
