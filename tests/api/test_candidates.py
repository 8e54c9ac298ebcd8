"""Candidate runs (a pull request's, or another branch's): validated, stored apart from the
history, and judged against the tracked branch by `GET /api/v1/submissions/{id}/verdict`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.api.test_submissions import stored_counts
from tests.conftest import ScratchDatabases, api_client, make_token
from tests.support.builders import processed_body, synthetic_rows
from tests.support.candidates import (
    FLEET,
    candidate_body,
    commit_of,
    night_rows,
    nightly_body,
    scaled,
    throughput_items,
)
from tests.support.stored import scratch_tracker, store_bodies
from tracker import models
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

NIGHTS = 30


def _errors(response: Any) -> dict[tuple[Any, ...], str]:
    assert response.status_code == 422, response.text
    return {tuple(error["loc"]): error["msg"] for error in response.json()["detail"]}


@pytest.mark.parametrize(
    ("source_fields", "body_fields", "loc", "words"),
    [
        ({"pull_request": "abc"}, {}, ("body", "source", "pull_request"), "integer"),
        ({"pull_request": "123"}, {}, ("body", "source", "pull_request"), "integer"),
        ({"pull_request": True}, {}, ("body", "source", "pull_request"), "integer"),
        ({"pull_request": 0}, {}, ("body", "source", "pull_request"), "greater than or equal"),
        (
            {"pull_request": 12, "base_commit": "not-a-sha"},
            {},
            ("body", "source", "base_commit"),
            "pattern",
        ),
        ({"base_commit": "9e1d2c3b4a"}, {}, ("body", "source", "base_commit"), "a candidate"),
        (
            {"pull_request": 12},
            {"backfill": True},
            ("body", "backfill"),
            "never part of a backfill",
        ),
        (
            {"branch": "feature-x", "sweep_key": "github:x:1:1"},
            {},
            ("body", "source", "sweep_key"),
            "posted whole",
        ),
        (
            {"pull_request": 12},
            {"purpose": "bisect", "bisect_id": 3},
            ("body",),
            "not a pull request's run",
        ),
        ({}, {"purpose": "candidate"}, ("body",), "purpose 'candidate' is not posted"),
    ],
)
def test_bad_candidate_fields_are_named_and_nothing_is_stored(
    client: TestClient,
    auth: dict[str, str],
    db_session: Session,
    source_fields: dict[str, Any],
    body_fields: dict[str, Any],
    loc: tuple[Any, ...],
    words: str,
) -> None:
    body = processed_body(**source_fields)
    body.update(body_fields)
    errors = _errors(client.post("/api/v1/submissions", json=body, headers=auth))
    assert loc in errors, errors
    assert words in errors[loc]
    assert set(stored_counts(db_session).values()) == {0}


@pytest.mark.parametrize(
    ("tracked", "branch", "pull_request", "purpose"),
    [
        (None, None, None, "history"),  # no branch: the tracked branch
        (None, "main", None, "history"),
        (None, "feature-x", None, "candidate"),
        (None, "main", 123, "candidate"),  # a pull request's run, whatever its branch
        ({"vllm": "release"}, "release", None, "history"),
        ({"vllm": "release"}, "main", None, "candidate"),
        ({"sglang": "dev"}, "main", None, "history"),  # another engine's branch is not vllm's
    ],
)
def test_a_run_is_a_candidate_by_its_pull_request_or_untracked_branch(
    session_factory: sessionmaker[Session],
    auth: dict[str, str],
    db_session: Session,
    tracked: dict[str, str] | None,
    branch: str | None,
    pull_request: int | None,
    purpose: str,
) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://unused/unused", tracked_branches=tracked or {}
    )
    with api_client(settings, session_factory) as client:
        body = processed_body(branch=branch, pull_request=pull_request)
        body["results"] = synthetic_rows(framework="vllm")
        response = client.post("/api/v1/submissions", json=body, headers=auth)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "processed"
    stored = db_session.execute(select(models.SourceRun.purpose)).scalar_one()
    assert stored.value == purpose
    frontier_values = db_session.scalar(select(func.count()).select_from(models.FrontierValue))
    candidate_values = db_session.scalar(
        select(func.count()).select_from(models.CandidateFrontierValue)
    )
    assert bool(frontier_values) == (purpose == "history")
    assert bool(candidate_values) == (purpose == "candidate")


@dataclass
class Tracked:
    client: TestClient
    headers: dict[str, str]
    factory: sessionmaker[Session]
    last_rows: list[dict[str, Any]]


@pytest.fixture(scope="module")
def tracked(scratch_databases: ScratchDatabases) -> Iterator[Tracked]:
    """30 processed nights of the fleet on a committed scratch database, served in-process."""
    engine: Engine
    engine, factory, settings = scratch_tracker(scratch_databases)
    token = make_token(factory, TokenScope.SUBMIT)
    headers = {"Authorization": f"Bearer {token}"}
    with api_client(settings, factory) as client:
        for night in range(NIGHTS):
            body = nightly_body(night_rows(FLEET, NIGHTS, night), night)
            assert client.post("/api/v1/submissions", json=body, headers=headers).status_code == 202
        yield Tracked(client, headers, factory, night_rows(FLEET, NIGHTS, NIGHTS - 1))
    engine.dispose()


def _post_candidate(tracked: Tracked, rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    fields.setdefault("pull_request", 100)
    fields.setdefault("commit", "c0ffee1234")
    fields.setdefault("run_key", f"pr:{fields['pull_request']}:{fields['commit']}:{len(rows)}")
    body = candidate_body(rows, night=NIGHTS - 1, **fields)
    response = tracked.client.post("/api/v1/submissions", json=body, headers=tracked.headers)
    assert response.status_code in (200, 202), response.text
    answer: dict[str, Any] = response.json()
    return answer


def _verdict(tracked: Tracked, submission_id: int) -> dict[str, Any]:
    response = tracked.client.get(f"/api/v1/submissions/{submission_id}/verdict")
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


def _hardware_of(tracked: Tracked) -> dict[int, str]:
    series = tracked.client.get("/api/v1/series").json()["items"]
    return {item["id"]: item["config"]["hardware"] for item in series}


def test_a_candidate_never_enters_the_history_reads(tracked: Tracked) -> None:
    client = tracked.client
    reads = [
        "/api/v1/series",
        "/api/v1/changes",
        "/api/v1/alerts",
        "/api/v1/digest?days=30&until=2026-07-02",
    ]
    series_ids = [item["id"] for item in client.get("/api/v1/series").json()["items"]]
    reads += [f"/api/v1/series/{i}/trend?interactivity=50" for i in series_ids]
    reads += [f"/api/v1/series/{i}/sweeps" for i in series_ids]
    before = {path: client.get(path).json() for path in reads}
    assert before["/api/v1/changes"]["items"]  # the history's gain on night 15

    # 30 % slower, and a config the history lacks (with a sweep too short for any value).
    new_config = [dict(row, hw="mi300x") for row in tracked.last_rows if row["hw"] == "b200"]
    no_values = [dict(row, hw="mi325x") for row in tracked.last_rows if row["hw"] == "b200"][:1]
    rows = scaled(tracked.last_rows, 0.7) + new_config + no_values
    answer = _post_candidate(tracked, rows, pull_request=7, commit="badbad0001")

    assert answer["status"] == "processed"
    assert {path: client.get(path).json() for path in reads} == before
    explorer = client.get("/")
    assert explorer.status_code == 200
    assert "mi300x" not in explorer.text and "mi325x" not in explorer.text
    # Stored with its sweeps and values: readable by id, and judged.
    with tracked.factory() as session:
        sweep_ids = (
            session.execute(
                select(models.Sweep.id)
                .join(models.SourceRun)
                .where(models.SourceRun.pull_request == 7)
            )
            .scalars()
            .all()
        )
    assert len(sweep_ids) == len(FLEET) + 3  # b200 runs two models
    sweep = client.get(f"/api/v1/sweeps/{sweep_ids[0]}").json()
    assert sweep["source"]["commit"] == "badbad0001"
    assert sweep["frontier"]["tput_per_gpu"]  # its values, read from the candidates' table
    assert _verdict(tracked, answer["id"])["verdict"] == "regression"


def test_a_regression_on_one_gpu_regresses_exactly_its_items(tracked: Tracked) -> None:
    rows = scaled(tracked.last_rows, 0.88, where={"hw": "b200"})
    answer = _post_candidate(tracked, rows, pull_request=11, commit="b200cafe01")
    verdict = _verdict(tracked, answer["id"])
    hardware = _hardware_of(tracked)

    assert verdict["verdict"] == "regression"
    assert verdict["baseline"] == {"branch": "main", "commit": commit_of(NIGHTS - 1)}
    regressed = {item["series_id"] for item in verdict["items"] if item["verdict"] == "regression"}
    assert {hardware[i] for i in regressed} == {"b200"}
    b200_items = [
        item for item in throughput_items(verdict["items"]) if hardware[item["series_id"]] == "b200"
    ]
    assert b200_items and all(item["verdict"] == "regression" for item in b200_items)
    for item in b200_items:
        low, high = item["interval"]
        assert low < item["relative_change"] < high < -0.02
        assert item["relative_change"] == pytest.approx(-0.12, abs=0.01)
    # Regressions first; the quiet series of the other GPU are unchanged.
    verdicts = [item["verdict"] for item in verdict["items"]]
    assert verdicts[: len(b200_items)] == ["regression"] * len(b200_items)
    quiet_mi355x = [item for item in verdict["items"] if hardware[item["series_id"]] == "mi355x"]
    assert {item["verdict"] for item in quiet_mi355x} == {"unchanged"}
    assert verdict["counts"]["regression"] == len(b200_items)
    assert sum(verdict["counts"].values()) == len(verdict["items"])


def test_repeats_of_one_pull_request_and_commit_are_combined(tracked: Tracked) -> None:
    rows = scaled(tracked.last_rows, 0.98, where={"hw": "h200"})
    first = _post_candidate(tracked, rows, pull_request=12, commit="abcabc0012", run_key="r1")
    once = _verdict(tracked, first["id"])
    second = _post_candidate(tracked, rows, pull_request=12, commit="abcabc0012", run_key="r2")
    other_commit = _post_candidate(
        tracked, rows, pull_request=12, commit="abcabc0013", run_key="r3"
    )
    twice = _verdict(tracked, first["id"])

    assert {**twice, "submission_id": second["id"]} == _verdict(tracked, second["id"])
    assert twice["repeats"] == [first["id"], second["id"]]
    assert {item["candidate_runs"] for item in twice["items"]} == {2}
    assert _verdict(tracked, other_commit["id"])["repeats"] == [other_commit["id"]]
    # Two repeats narrow every interval.
    widths = {
        (item["series_id"], item["metric"], item["interactivity"]): item["interval"][1]
        - item["interval"][0]
        for item in throughput_items(once["items"])
    }
    for item in throughput_items(twice["items"]):
        key = (item["series_id"], item["metric"], item["interactivity"])
        assert item["interval"][1] - item["interval"][0] < widths[key]


def test_a_small_change_on_a_noisy_track_is_inconclusive_with_the_repeats_to_settle_it(
    tracked: Tracked,
) -> None:
    rows = scaled(tracked.last_rows, 0.98, where={"hw": "h200"})
    answer = _post_candidate(tracked, rows, pull_request=13, commit="a0b0c0d013")
    verdict = _verdict(tracked, answer["id"])
    hardware = _hardware_of(tracked)
    noisy = [
        item for item in throughput_items(verdict["items"]) if hardware[item["series_id"]] == "h200"
    ]

    assert verdict["verdict"] == "inconclusive"
    assert {item["verdict"] for item in noisy} == {"inconclusive"}
    assert {
        item["verdict"] for item in verdict["items"] if hardware[item["series_id"]] != "h200"
    } == {"unchanged"}
    for item in noisy:
        low, high = item["interval"]
        assert low < -0.02 and high > -0.02  # straddles the margin
        assert item["repeats_needed"] is None or item["repeats_needed"] >= 1


def test_the_baseline_as_of_a_base_commit_is_the_level_that_commit_was_on(
    tracked: Tracked,
) -> None:
    # One mi355x series gained 10 % on night 15: a candidate at today's level is 10 % above the
    # level of a base commit before the gain, and unchanged against the current level.
    stepped = next(plan for plan in FLEET if plan.steps)
    where = {"hw": stepped.hardware, "model": stepped.model}
    rows = [row for row in tracked.last_rows if all(row[k] == v for k, v in where.items())]
    now = _verdict(
        tracked, _post_candidate(tracked, rows, pull_request=14, commit="ba5e000014")["id"]
    )
    then = _verdict(
        tracked,
        _post_candidate(
            tracked, rows, pull_request=15, commit="ba5e000015", base_commit=commit_of(10)
        )["id"],
    )

    assert {item["verdict"] for item in now["items"]} == {"unchanged"}
    assert then["baseline"] == {"branch": "main", "commit": commit_of(10)}
    assert {item["verdict"] for item in throughput_items(then["items"])} == {"improvement"}
    for item in throughput_items(then["items"]):
        assert item["relative_change"] == pytest.approx(0.10, abs=0.015)
        assert item["baseline"]["runs"] == 15  # nights 0-14, the level before the gain
        assert item["baseline"]["commit"] == commit_of(14)


def test_a_config_the_history_lacks_has_no_baseline(tracked: Tracked) -> None:
    rows = [dict(row, hw="mi300x") for row in tracked.last_rows if row["hw"] == "b200"]
    answer = _post_candidate(tracked, rows, pull_request=16, commit="0e0e0e0016")
    verdict = _verdict(tracked, answer["id"])

    assert verdict["verdict"] == "no_baseline"
    assert verdict["items"]
    assert {item["verdict"] for item in verdict["items"]} == {"no_baseline"}
    assert all(item["baseline"]["value"] is None for item in verdict["items"])
    assert verdict["counts"]["no_baseline"] == len(verdict["items"])


def test_a_verdict_is_404_for_a_tracked_run_and_409_until_processed(tracked: Tracked) -> None:
    client = tracked.client
    with tracked.factory() as session:
        history_id = session.execute(select(func.min(models.Submission.id))).scalar_one()
    not_candidate = client.get(f"/api/v1/submissions/{history_id}/verdict")
    assert not_candidate.status_code == 404
    assert "not a candidate" in not_candidate.json()["detail"]
    assert client.get("/api/v1/submissions/999999/verdict").status_code == 404

    body = candidate_body(
        tracked.last_rows, pull_request=17, commit="0f0f0f0017", night=NIGHTS, run_key="pending"
    )
    (pending,) = store_bodies(tracked.factory, [body])  # stored, not processed
    waiting = client.get(f"/api/v1/submissions/{pending}/verdict")
    assert waiting.status_code == 409
    assert "not processed yet" in waiting.json()["detail"]
