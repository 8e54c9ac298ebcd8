"""Failed requests: which points are degraded (counts stated or inferred from the sweep), the
threshold setting, and the fronts without them, on the real files that lost requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import api_client
from tests.support import real_clients as files
from tests.support.independent import by_label, independent_frontier
from tracker.processing.degraded import RequestCounts, degraded_points
from tracker.runtime.client import SourceOptions, build_submission
from tracker.settings import DEFAULT_INTERACTIVITY_TARGETS, Settings


def counts(*points: tuple[int, int | None, int | None, int | None]) -> list[RequestCounts]:
    return [RequestCounts(*point) for point in points]


def described(
    points: list[RequestCounts], threshold: float = 0.0
) -> list[tuple[int, int, int, bool]]:
    return [
        (point.conc, point.failed, point.requested, point.requested_inferred)
        for point in degraded_points(points, threshold)
    ]


def test_stated_counts_decide() -> None:
    # vLLM: num_prompts, completed, failed; InferenceX raw: num_prompts, completed.
    assert described(counts((4, 16, 16, 0), (8, 30, 32, 2), (16, 60, 64, None))) == [
        (8, 2, 32, False),
        (16, 4, 64, False),
    ]


def test_completed_and_failed_without_a_requested_count() -> None:
    assert described(counts((4, 10, None, 2))) == [(4, 2, 12, False)]


def test_sglang_requested_count_is_inferred_per_concurrency() -> None:
    # --num-prompts CONC*4: the conc-16 run completed 43 of 64.
    sweep = counts(
        (4, 16, None, None), (8, 32, None, None), (16, 43, None, None), (32, 128, None, None)
    )
    assert described(sweep) == [(16, 21, 64, True)]


def test_sglang_requested_count_is_inferred_as_one_number() -> None:
    # --num-prompts 1000 at every concurrency.
    sweep = counts((4, 1000, None, None), (8, 1000, None, None), (16, 977, None, None))
    assert described(sweep) == [(16, 23, 1000, True)]


def test_no_pattern_a_majority_follows_infers_nothing() -> None:
    assert described(counts((4, 16, None, None), (8, 30, None, None))) == []
    assert described(counts((4, 16, None, None))) == []
    sweep = counts((4, 16, None, None), (8, 20, None, None), (16, 43, None, None))
    assert described(sweep) == []


def test_the_threshold_is_a_failed_fraction() -> None:
    sweep = counts((4, 16, 16, 0), (8, 30, 32, 2))
    assert described(sweep, threshold=0.0625) == []
    assert described(sweep, threshold=0.06) == [(8, 2, 32, False)]


@pytest.fixture
def tolerant(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    settings = Settings(
        database_url="postgresql+psycopg://unused/unused",
        broker_url=None,
        max_failed_request_fraction=0.4,
    )
    with api_client(settings, session_factory) as client:
        yield client


def test_a_run_under_the_threshold_keeps_its_point_on_the_front(
    tolerant: TestClient, auth: dict[str, str]
) -> None:
    """TRACKER_MAX_FAILED_REQUEST_FRACTION=0.4: 21 failed of 64 (0.33) is not degraded."""
    body = build_submission(
        files=[files.SGLANG_CONC16_FAILED],
        source=SourceOptions(
            engine="sglang", timestamp=datetime(2026, 11, 20, 3, tzinfo=UTC), commit="abc"
        ),
        result_format="sglang-bench",
        config=json.loads((files.SGLANG_BENCH / "config.json").read_text()),
    ).body
    answer = tolerant.post(
        "/api/v1/submissions",
        content=json.dumps(body),  # SGLang's "request_rate": Infinity, as the CLI sends it
        headers={**auth, "Content-Type": "application/json"},
    ).json()
    assert answer["degraded"] == [] and answer["without_values"] == []
    (item,) = tolerant.get("/api/v1/series").json()["items"]
    rows = files.json_rows(files.SGLANG_CONC16_FAILED)
    expected = independent_frontier(
        files.raw_points(rows, "total_throughput", 8), DEFAULT_INTERACTIVITY_TARGETS
    )
    assert item["latest"]["values"]["tput_per_gpu"] == pytest.approx(by_label(expected), rel=1e-12)
