"""POST /api/v1/submissions: stored once, answered after commit, every bad field named."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import api_client, make_token
from tests.support.builders import gpt_oss_body, processed_body
from tracker import models
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

STORED_TABLES = (models.SourceRun, models.Submission, models.Config, models.Sweep, models.ResultRow)


def stored_counts(session: Session) -> dict[str, int]:
    return {
        table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
        for table in STORED_TABLES
    }


def test_accepted_submission_is_stored_and_processed(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    response = client.post("/api/v1/submissions", json=gpt_oss_body(), headers=auth)

    assert response.status_code == 202
    answer = response.json()
    assert answer["results"] == 8
    assert answer["series"] == 1
    assert answer["status_url"] == f"/api/v1/submissions/{answer['id']}"
    assert answer["status"] == "processed"  # in-process dispatch processes before answering
    status = client.get(answer["status_url"]).json()
    assert status["status"] == "processed"
    assert status["error"] is None
    assert status["processed_at"] >= status["received_at"]
    counts = stored_counts(db_session)
    assert counts == {
        "source_runs": 1,
        "submissions": 1,
        "configs": 1,
        "sweeps": 1,
        "result_rows": 8,
    }


def test_raw_payload_and_source_are_kept(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    body = gpt_oss_body(components={"dynamo": "0.6.1"})
    client.post("/api/v1/submissions", json=body, headers=auth)
    source_run = db_session.execute(select(models.SourceRun)).scalar_one()
    assert json.loads(source_run.payload) == body
    assert source_run.engine == "dynamo-trt"
    assert source_run.components == {"dynamo": "0.6.1"}
    assert source_run.timestamp.isoformat() == "2026-06-01T03:00:00+00:00"


def test_unknown_row_fields_are_kept_not_rejected(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    body = processed_body()
    body["results"][0]["power_watts_per_gpu"] = {"mean": 812.5}
    assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 202
    extras = db_session.execute(select(models.ResultRow.extra)).scalars().all()
    assert {"mean": 812.5} in [extra.get("power_watts_per_gpu") for extra in extras]


def _without(mapping: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key not in names}


def _row_change(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = processed_body()
    change(body["results"][0])
    return body


def _conflicting_duplicate() -> dict[str, Any]:
    body = processed_body()
    duplicate = copy.deepcopy(body["results"][0])
    duplicate["tput_per_gpu"] *= 1.5
    body["results"].append(duplicate)
    return body


def _duplicate_under_another_model_prefix() -> dict[str, Any]:
    body = processed_body()
    duplicate = copy.deepcopy(body["results"][0])
    duplicate["infmax_model_prefix"] = "kimi-k2.5"  # one sweep, one conc: not two points
    body["results"].append(duplicate)
    return body


def _raw_without_topology() -> dict[str, Any]:
    body = gpt_oss_body()
    for name in ("num_prefill_gpu", "num_decode_gpu"):
        del body["config"][name]
    return body


MALFORMED: dict[str, tuple[Callable[[], dict[str, Any] | bytes], list[Any]]] = {
    "nan throughput": (
        lambda: json.dumps(_row_change(lambda row: row.update(tput_per_gpu=float("nan")))).encode(),
        ["body", "results", 0, "tput_per_gpu"],
    ),
    "negative throughput": (
        lambda: _row_change(lambda row: row.update(tput_per_gpu=-3.0)),
        ["body", "results", 0, "tput_per_gpu"],
    ),
    "zero throughput": (
        lambda: _row_change(lambda row: row.update(tput_per_gpu=0)),
        ["body", "results", 0, "tput_per_gpu"],
    ),
    "throughput of the wrong type": (
        lambda: _row_change(lambda row: row.update(tput_per_gpu="fast")),
        ["body", "results", 0, "tput_per_gpu"],
    ),
    "no interactivity source": (
        lambda: _row_change(lambda row: [row.pop(k) for k in ("median_intvty", "median_tpot")]),
        ["body", "results", 0, "median_intvty"],
    ),
    "unknown format": (
        lambda: {**processed_body(), "format": "csv"},
        ["body", "format"],
    ),
    "empty results": (lambda: {**processed_body(), "results": []}, ["body", "results"]),
    "results not a list": (
        lambda: {**processed_body(), "results": {"hw": "b200"}},
        ["body", "results"],
    ),
    "a row that is not an object": (
        lambda: {**processed_body(), "results": [42]},
        ["body", "results", 0],
    ),
    "naive timestamp": (
        lambda: processed_body(timestamp="2026-06-01T03:00:00"),
        ["body", "source", "timestamp"],
    ),
    "missing engine": (
        lambda: {**processed_body(), "source": _without(processed_body()["source"], "engine")},
        ["body", "source", "engine"],
    ),
    "neither commit nor image": (
        lambda: {**processed_body(), "source": _without(processed_body()["source"], "commit")},
        ["body", "source"],
    ),
    "misspelt source field": (
        lambda: processed_body(enigne="vllm"),
        ["body", "source", "enigne"],
    ),
    "conflicting duplicate rows": (_conflicting_duplicate, ["body", "results", 3]),
    "duplicate rows under another model prefix": (
        _duplicate_under_another_model_prefix,
        ["body", "results", 3],
    ),
    "final without a sweep key": (lambda: {**processed_body(), "final": True}, ["body", "final"]),
    "backfill with a sweep key": (
        lambda: {
            **processed_body(sweep_key="github:vllm-project/vllm:1:1"),
            "backfill": True,
        },
        ["body", "source", "sweep_key"],
    ),
    "an engine that runs no row's framework": (
        lambda: processed_body(engine="sglang"),
        ["body", "source", "engine"],
    ),
    "raw format without config": (
        lambda: _without(gpt_oss_body(), "config"),
        ["body", "config"],
    ),
    "raw format without topology": (_raw_without_topology, ["body", "config", "tp"]),
    "only agentic-coding rows": (
        lambda: {
            **processed_body(),
            "results": [
                {**row, "scenario_type": "agentic-coding"} for row in processed_body()["results"]
            ],
        },
        ["body", "results"],
    ),
    "non-integer concurrency": (
        lambda: _row_change(lambda row: row.update(conc=4.5)),
        ["body", "results", 0, "conc"],
    ),
    "v0 row without isl/osl and no config": (
        lambda: _row_change(lambda row: [row.pop(k) for k in ("isl", "osl")]),
        ["body", "results", 0, "isl"],
    ),
    "not JSON at all": (lambda: b"{results: oops", ["body"]),
    "a bisection's run that names no bisection": (
        lambda: {**processed_body(), "purpose": "bisect"},
        ["body"],
    ),
    "bisect_id on a history run": (lambda: {**processed_body(), "bisect_id": 1}, ["body"]),
    "a bisection's run in a backfill": (
        lambda: {**processed_body(), "purpose": "bisect", "bisect_id": 1, "backfill": True},
        ["body"],
    ),
    "a bisection's run posted per job": (
        lambda: {
            **processed_body(sweep_key="github:vllm-project/vllm:1:1"),
            "purpose": "bisect",
            "bisect_id": 1,
        },
        ["body"],
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_submission_is_a_422_naming_the_field_and_stores_nothing(
    case: str, client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    make_body, expected_loc = MALFORMED[case]
    body = make_body()
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()

    response = client.post(
        "/api/v1/submissions",
        content=payload,
        headers={**auth, "Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert expected_loc in [error["loc"] for error in detail], detail
    assert all(error["msg"] for error in detail)
    assert set(stored_counts(db_session).values()) == {0}


def test_an_agentic_coding_row_is_skipped_and_said_so(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    body = _row_change(lambda row: row.update(scenario_type="agentic-coding"))
    response = client.post("/api/v1/submissions", json=body, headers=auth)
    assert response.status_code == 202, response.text
    assert response.json()["skipped"] == [
        {"index": 0, "reason": "scenario agentic-coding is not analysed"}
    ]
    assert response.json()["results"] == len(body["results"]) - 1
    stored = db_session.execute(select(models.SourceRun.payload)).scalar_one()
    assert json.loads(stored)["results"][0]["scenario_type"] == "agentic-coding"


def test_every_bad_field_is_named_in_one_answer(client: TestClient, auth: dict[str, str]) -> None:
    body = processed_body(timestamp="2026-06-01T03:00:00")
    body["results"][1]["tput_per_gpu"] = -1
    body["results"][2]["median_intvty"] = "quick"
    locs = [
        e["loc"]
        for e in client.post("/api/v1/submissions", json=body, headers=auth).json()["detail"]
    ]
    assert ["body", "source", "timestamp"] in locs
    assert ["body", "results", 1, "tput_per_gpu"] in locs
    assert ["body", "results", 2, "median_intvty"] in locs


def test_oversized_body_is_a_413_and_stores_nothing(
    session_factory: sessionmaker[Session], db_session: Session
) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://unused/unused", max_submission_bytes=2048
    )
    token = make_token(session_factory, TokenScope.SUBMIT)
    with api_client(settings, session_factory) as client:
        response = client.post(
            "/api/v1/submissions",
            json=gpt_oss_body(),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 413
    assert "2048" in response.json()["detail"]
    assert set(stored_counts(db_session).values()) == {0}


def test_same_run_key_and_body_answers_200_with_the_first_answer(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    first = client.post("/api/v1/submissions", json=gpt_oss_body(), headers=auth)
    reordered = json.loads(
        json.dumps(gpt_oss_body()), object_pairs_hook=lambda p: dict(reversed(p))
    )
    again = client.post("/api/v1/submissions", json=reordered, headers=auth)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert stored_counts(db_session)["result_rows"] == 8


def test_same_run_key_with_another_body_is_a_409(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    client.post("/api/v1/submissions", json=gpt_oss_body(), headers=auth)
    changed = gpt_oss_body()
    changed["results"][0]["total_token_throughput"] *= 2
    response = client.post("/api/v1/submissions", json=changed, headers=auth)
    assert response.status_code == 409
    assert "gptoss-sweep-1" in response.json()["detail"]
    # The run key of the whole run, reused by each of its jobs: the answer says what to do.
    assert "gives its posts a shared sweep_key instead" in response.json()["detail"]
    assert stored_counts(db_session)["submissions"] == 1


def test_without_run_key_the_body_hash_is_the_key(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    body = processed_body(run_key=None)
    assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 202
    assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 200
    other = processed_body(run_key=None, commit="0123456789")
    assert client.post("/api/v1/submissions", json=other, headers=auth).status_code == 202
    assert stored_counts(db_session)["submissions"] == 2


def test_submitting_needs_a_token(client: TestClient) -> None:
    response = client.post("/api/v1/submissions", json=processed_body())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    unknown = client.post(
        "/api/v1/submissions",
        json=processed_body(),
        headers={"Authorization": "Bearer ft_not-a-real-token"},
    )
    assert unknown.status_code == 401


@pytest.mark.parametrize(
    ("scope", "expected"),
    [(TokenScope.TRIAGE, 403), (TokenScope.SUBMIT, 202), (TokenScope.ADMIN, 202)],
)
def test_submitting_needs_the_submit_scope(
    scope: TokenScope, expected: int, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = make_token(session_factory, scope)
    response = client.post(
        "/api/v1/submissions", json=processed_body(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == expected
    if expected == 403:
        assert "submit" in response.json()["detail"]
