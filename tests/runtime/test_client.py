"""`tracker submit`'s reading of result files: by content, whatever the name, non-finite numbers
kept, per-request lists left behind."""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support import real_clients as files
from tracker.runtime.client import (
    ResultFileError,
    SourceOptions,
    answer_lines,
    build_submission,
    read_result_rows,
)


def test_json_lines_in_a_json_file_are_rows(tmp_path: Path) -> None:
    """`vllm bench serve --append-result` writes one object per run into a `.json` file."""
    rows = read_result_rows(files.VLLM_APPEND)
    assert [row["max_concurrency"] for row in rows] == [4, 8, 16, 32, 64]
    renamed = tmp_path / "vllm_sweep_append.jsonl"
    shutil.copy(files.VLLM_APPEND, renamed)
    assert read_result_rows(renamed) == rows


def test_a_json_document_in_a_jsonl_file_is_rows(tmp_path: Path) -> None:
    renamed = tmp_path / "agg_bmk.jsonl"
    shutil.copy(files.SINGLE_NODE, renamed)
    assert read_result_rows(renamed) == files.json_rows(files.SINGLE_NODE)


def test_pretty_printed_objects_one_after_another_are_rows(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_text("\n".join(p.read_text() for p in files.PER_JOB[:2]))  # indented objects
    assert read_result_rows(path) == [files.json_rows(p)[0] for p in files.PER_JOB[:2]]


def test_sglang_infinity_is_read_and_sent_as_written() -> None:
    rows = read_result_rows(files.SGLANG_SWEEP)
    assert all(math.isinf(row["request_rate"]) for row in rows)
    body = build_submission(
        files=[files.SGLANG_SWEEP],
        source=SourceOptions(engine="sglang", timestamp=datetime(2026, 11, 20, tzinfo=UTC)),
        result_format="sglang-bench",
        config=None,
    ).body
    sent = json.dumps(body, allow_nan=True)  # what post_submission sends
    assert sent.count('"request_rate": Infinity') == 5


def test_per_request_lists_but_errors_stay_behind() -> None:
    built = build_submission(
        files=[files.SGLANG_DETAILS_CONC8_FAILED],
        source=SourceOptions(engine="sglang", timestamp=datetime(2026, 11, 20, tzinfo=UTC)),
        result_format="sglang-bench",
        config=None,
    )
    names = ("input_lens", "output_lens", "ttfts", "itls", "generated_texts")
    assert built.dropped == dict.fromkeys(names, 3)
    rows = built.body["results"]
    assert not any(name in row for row in rows for name in names)
    assert [sum(1 for error in row["errors"] if error) for row in rows] == [0, 6, 0]
    assert len(json.dumps(built.body)) < files.SGLANG_DETAILS_CONC8_FAILED.stat().st_size / 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no rows"),
        ("[]", "holds no rows"),
        ('{"conc": 4}\n{"conc": 8', "neither JSON nor JSON lines (Expecting ',' delimiter"),
        ("conc,tput\n4,100\n", "neither JSON nor JSON lines (Expecting value: line 1 column 1)"),
    ],
)
def test_unreadable_files_say_why(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(ResultFileError) as raised:
        read_result_rows(path)
    assert message in str(raised.value)


def test_the_printed_answer_names_what_happened_to_the_rows() -> None:
    answer = {
        "id": 4,
        "status": "processed",
        "results": 15,
        "repeated": 0,
        "series": 3,
        "skipped": [{"index": 7, "reason": "scenario agentic-coding is not analysed"}],
        "dropped": {"ttfts": 3},
        "warnings": [{"loc": ["results", 0, "hw"], "msg": "hardware 'rtx6000pro' …", "type": "x"}],
        "degraded": [
            {
                "series_id": 1,
                "sweep_id": 6,
                "points": [{"conc": 16, "reason": "21 of 64 requests failed"}],
                "withheld": {},
            }
        ],
        "without_values": [{"series_id": 1, "sweep_id": 6, "reason": "degraded"}],
    }
    assert answer_lines(answer) == [
        "submission 4: processed (15 rows, 3 series)",
        "  skipped results.7: scenario agentic-coding is not analysed",
        "  dropped per-request lists: ttfts (3 rows)",
        "  warning results.0.hw: hardware 'rtx6000pro' …",
        "  degraded: series 1 conc 16: 21 of 64 requests failed, left out of the front",
        "  series 1: sweep 6 has no frontier value (degraded)",
    ]
