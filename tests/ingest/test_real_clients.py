"""Parsing the real client files (tests/data/real-clients/): what each row becomes, what is
skipped, dropped, counted and warned about."""

from __future__ import annotations

import copy
import math

import pytest

from tests.support import real_clients as files
from tracker.errors import InvalidSubmission
from tracker.ingest.formats import parse_results
from tracker.runtime.client import read_result_rows

SGLANG_CONFIG = {
    "hardware": "h200",
    "framework": "sglang",
    "model": "fake-org/Fake-Model-8B",
    "precision": "fp8",
    "isl": 1024,
    "osl": 128,
    "tp": 8,
}


def test_the_collect_file_skips_its_agentic_row_and_reads_three_configs() -> None:
    rows = files.json_rows(files.COLLECT_MIXED_AGENTIC)
    parsed = parse_results(format="inferencex", results=rows, config=None)

    assert [(row.index, row.reason) for row in parsed.notes.skipped] == [
        (7, "scenario agentic-coding is not analysed")
    ]
    configs = {row.config.framework: row.config for row in parsed.rows}
    aggregated = configs["dynamo-trt"]
    assert (aggregated.hardware, aggregated.gpus, aggregated.wide_ep) == ("gb200", 16, True)
    assert configs["dynamo-sglang"].wide_ep is True  # decode EP 8 over DP attention ranks
    assert configs["sglang"].wide_ep is False
    components = {row.config.framework: row.components for row in parsed.rows}
    assert "recipe_fingerprint" not in components["dynamo-trt"]  # "" is no component
    assert components["sglang"]["recipe_fingerprint"] == "abc123def4567890"
    assert {c["client"] for c in components.values()} == {"inferencex"}
    assert parsed.notes.warnings == []


def test_heterogeneous_sides_make_their_own_config() -> None:
    rows = files.json_rows(files.HETERO_DISAGG)
    config = parse_results(format="inferencex", results=rows, config=None).rows[0].config
    assert (config.hardware, config.prefill_hardware, config.decode_hardware) == (
        "b300+gb300",
        "b300",
        "gb300",
    )
    homogeneous = [{**row, "prefill_hw": "gb300", "decode_hw": "GB300"} for row in rows]
    same = parse_results(format="inferencex", results=homogeneous, config=None).rows[0].config
    assert (same.hardware, same.prefill_hardware, same.decode_hardware) == ("gb300", None, None)
    plain = [
        {key: value for key, value in row.items() if key not in ("prefill_hw", "decode_hw")}
        for row in rows
    ]
    runner = parse_results(format="inferencex", results=plain, config=None).rows[0].config
    assert runner.hardware == "b200"
    assert len({config.key_digest(), same.key_digest(), runner.key_digest()}) == 3


def test_raw_sides_come_from_the_submissions_config() -> None:
    rows = files.json_rows(files.VLLM_APPEND)
    config = {
        **SGLANG_CONFIG,
        "framework": "vllm",
        "num_prefill_gpu": 8,
        "num_decode_gpu": 8,
        "prefill_hardware": "cluster:b300-nv",
        "decode_hardware": "gb300-nv_1",
    }
    del config["tp"]
    parsed = parse_results(format="vllm-bench", results=rows, config=config).rows[0]
    assert (parsed.config.hardware, parsed.config.prefill_hardware) == ("b300+gb300", "b300")
    assert "runner" not in parsed.components  # hardware "h200" is a GPU, not a runner label


def test_sglang_details_lists_are_dropped_and_their_errors_counted() -> None:
    rows = read_result_rows(files.SGLANG_DETAILS_CONC8_FAILED)
    parsed = parse_results(format="sglang-bench", results=rows, config=SGLANG_CONFIG)

    names = ("input_lens", "output_lens", "ttfts", "itls", "generated_texts", "errors")
    assert dict(parsed.notes.dropped) == dict.fromkeys(names, 3)
    assert [(row.conc, row.completed, row.requested, row.failed) for row in parsed.rows] == [
        (4, 16, 16, 0),
        (8, 26, 32, 6),
        (16, 64, 64, 0),
    ]
    assert not set(names) & set(parsed.rows[0].extra)


def test_sglang_lines_state_only_completed_requests() -> None:
    rows = read_result_rows(files.SGLANG_CONC16_FAILED)
    parsed = parse_results(format="sglang-bench", results=rows, config=SGLANG_CONFIG)
    assert [(row.conc, row.completed, row.requested, row.failed) for row in parsed.rows] == [
        (4, 16, None, None),
        (8, 32, None, None),
        (16, 43, None, None),
        (32, 128, None, None),
        (64, 256, None, None),
    ]
    assert all(row.extra["request_rate"] == "Infinity" for row in parsed.rows)
    assert all(row.components == {"client": "sglang-bench"} for row in parsed.rows)


def test_vllm_rows_state_every_count_and_name_their_model() -> None:
    rows = read_result_rows(files.VLLM_APPEND)
    config = {key: value for key, value in SGLANG_CONFIG.items() if key != "model"}
    parsed = parse_results(
        format="vllm-bench", results=rows, config={**config, "framework": "vllm"}
    )
    assert {row.config.model for row in parsed.rows} == {"fake-org/fake-model-8b"}
    assert [(row.completed, row.requested, row.failed) for row in parsed.rows] == [
        (4 * conc, 4 * conc, 0) for conc in (4, 8, 16, 32, 64)
    ]
    assert dict(parsed.notes.dropped) == {"latencies": 5, "queue_times": 5}
    assert {row.components["client"] for row in parsed.rows} == {"vllm-bench"}


def test_sglang_model_from_server_info() -> None:
    rows = read_result_rows(files.SGLANG_SWEEP)
    config = {key: value for key, value in SGLANG_CONFIG.items() if key != "model"}
    parsed = parse_results(format="sglang-bench", results=rows, config=config)
    assert {row.config.model for row in parsed.rows} == {"fake-org/fake-model-8b"}


@pytest.mark.parametrize(
    ("label", "hardware", "warned"),
    [("cluster:b300-nv", "b300", False), ("rtx6000pro-lat", "rtx6000pro", True)],
)
def test_runner_labels_fold_and_unknown_gpus_are_warned_about(
    label: str, hardware: str, warned: bool
) -> None:
    path = next(p for p in files.RUNNER_LABELS if p.stem.endswith(label.replace(":", "_")))
    parsed = parse_results(format="inferencex", results=files.json_rows(path), config=None)
    assert {(row.config.hardware, row.components["runner"]) for row in parsed.rows} == {
        (hardware, label)
    }
    assert [(w.loc, w.type) for w in parsed.notes.warnings] == (
        [(("results", 0, "hw"), "hardware_unknown")] if warned else []
    )


def test_rows_differing_only_in_model_prefix_are_a_conflict_not_two_points() -> None:
    rows = files.json_rows(files.SINGLE_NODE)
    relabelled = copy.deepcopy(rows[2])
    relabelled["infmax_model_prefix"] = "fake-8b"
    with pytest.raises(InvalidSubmission) as raised:
        parse_results(format="inferencex", results=[*rows, relabelled], config=None)
    (error,) = raised.value.errors
    assert error.loc == ("results", 5)
    assert error.type == "duplicate_conflict"
    assert "model_prefix the string 'fake8b' vs the string 'fake-8b'" in error.msg


def test_a_details_row_keeps_a_non_list_errors_field() -> None:
    row = read_result_rows(files.SGLANG_SWEEP)[0]
    row["errors"] = "none"
    parsed = parse_results(format="sglang-bench", results=[row], config=SGLANG_CONFIG)
    assert parsed.rows[0].extra["errors"] == "none"
    assert not math.isnan(parsed.rows[0].tput_per_gpu)
