"""Frontier values on the real samples, checked against an independent monotone-cubic reading."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from fastapi.testclient import TestClient
from scipy.interpolate import PchipInterpolator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import sample_rows
from tests.support.builders import gpt_oss_body, minimax_body, processed_body
from tests.support.independent import independent_frontier
from tracker import models
from tracker.processing.frontier import (
    monotone_cubic,
    pareto_front,
    readings_along_front,
    values_at_targets,
)
from tracker.settings import DEFAULT_INTERACTIVITY_TARGETS

GPUS = 16  # 8 prefill + 8 decode
DECODE_GPUS = 8


def raw_points(folder: str, throughput_key: str, gpus: int) -> list[tuple[float, float]]:
    return [
        (1000 / row["median_tpot_ms"], row[throughput_key] / gpus)
        for row in sample_rows("raw_benchmark_serving", folder)
    ]


@pytest.mark.parametrize(
    ("body", "folder", "expected_targets"),
    [(gpt_oss_body, "gptoss-120b", [50, 75, 100]), (minimax_body, "minimax-m2.5", [35, 50])],
)
def test_raw_samples_give_the_independent_frontier_values(
    body, folder: str, expected_targets: list[float], client: TestClient, auth: dict[str, str]
) -> None:
    client.post("/api/v1/submissions", json=body(), headers=auth)
    sweep = client.get("/api/v1/series").json()["items"][0]["latest"]
    frontier = client.get(f"/api/v1/sweeps/{sweep['sweep_id']}").json()["frontier"]

    for metric, key, gpus in [
        ("tput_per_gpu", "total_token_throughput", GPUS),
        ("output_tput_per_gpu", "output_throughput", DECODE_GPUS),
    ]:
        expected = independent_frontier(
            raw_points(folder, key, gpus), DEFAULT_INTERACTIVITY_TARGETS
        )
        assert sorted(expected) == expected_targets
        got = {float(label): value for label, value in frontier[metric].items()}
        assert sorted(got) == expected_targets
        for target in expected_targets:
            assert got[target] == pytest.approx(expected[target], rel=1e-9)


def test_gpt_oss_values_are_plausible_numbers() -> None:
    points = raw_points("gptoss-120b", "total_token_throughput", GPUS)
    values = values_at_targets([x for x, _ in points], [y for _, y in points], [50, 75, 100])
    # Between the measured neighbours: conc 256 (56.3 tok/s/user, 1747/GPU) and 512 (45.2, 2817).
    assert 1747 < values[50] < 2817
    assert values[50] > values[75] > values[100]


def test_processed_samples_yield_no_frontier_values_at_the_default_targets(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    answer = client.post("/api/v1/submissions", json=processed_body(), headers=auth).json()
    assert answer["status"] == "processed"
    assert answer["series"] == 2  # 1k/1k (one point) and 8k/1k (two points at 3.3-4.3 tok/s/user)
    assert db_session.scalar(select(func.count()).select_from(models.FrontierValue)) == 0
    reasons = {}
    for item in client.get("/api/v1/series").json()["items"]:
        assert item["latest"] is None  # no sweep with a value yet: absent, not zero
        reasons[item["config"]["isl"]] = item["newer_sweep_without_values"]["reason"]
        trend = client.get(f"/api/v1/series/{item['id']}/trend?interactivity=35").json()
        assert trend["points"] == []
    assert reasons == {1024: "one_point", 8192: "below_targets"}


def test_eight_k_sample_interactivity_is_below_every_target() -> None:
    rows = [row for row in sample_rows("fixed_seq_len_agg") if row["isl"] == 8192]
    assert sorted(round(row["median_intvty"], 1) for row in rows) == [3.3, 4.3]
    assert min(DEFAULT_INTERACTIVITY_TARGETS) > max(row["median_intvty"] for row in rows)


def test_dominated_points_are_ignored() -> None:
    interactivity = [100.0, 80.0, 80.0, 60.0, 50.0]
    throughput = [300.0, 500.0, 450.0, 400.0, 900.0]  # (80, 450) and (60, 400) are dominated
    assert pareto_front(interactivity, throughput) == [4, 1, 0]
    with_dominated = values_at_targets(interactivity, throughput, [75])
    without = values_at_targets([100.0, 80.0, 50.0], [300.0, 500.0, 900.0], [75])
    assert with_dominated == without


def test_one_point_fronts_and_outside_targets_give_nothing() -> None:
    assert values_at_targets([50.0], [1000.0], [50]) == {}
    # One point dominates the rest: the front has one point.
    assert values_at_targets([50.0, 40.0], [1000.0, 900.0], [45]) == {}
    values = values_at_targets([40.0, 60.0], [900.0, 500.0], [35, 40, 50, 60, 75])
    assert sorted(values) == [40, 50, 60]  # never extrapolated, never clamped
    assert values[40] == 900.0 and values[60] == 500.0


def test_monotone_cubic_matches_scipy_on_random_fronts() -> None:
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(2, 12)
        xs = sorted(rng.sample(range(5, 400), n))
        ys = sorted((rng.uniform(10, 5000) for _ in range(n)), reverse=True)
        targets = [rng.uniform(0, 420) for _ in range(15)] + [float(xs[0]), float(xs[-1])]
        ours = monotone_cubic([float(x) for x in xs], ys, targets)
        curve = PchipInterpolator(xs, ys, extrapolate=False)
        for target in targets:
            expected = float(curve(target))
            if math.isnan(expected):
                assert target not in ours
            else:
                assert ours[target] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_interpolated_values_never_overshoot_the_front() -> None:
    xs, ys = [10.0, 20.0, 21.0, 60.0], [5000.0, 4000.0, 1000.0, 900.0]
    values = monotone_cubic(xs, ys, [x / 10 for x in range(100, 601)])
    ordered = [values[t] for t in sorted(values)]
    assert all(a >= b for a, b in itertools.pairwise(ordered))
    assert max(ordered) <= 5000.0 and min(ordered) >= 900.0


def test_readings_follow_the_throughput_front_not_their_own() -> None:
    # (interactivity, throughput, p99 TTFT): the point at 60 tok/s/user is dominated by the one
    # at 70, so its low TTFT is never read, however good it looks.
    interactivity = [30.0, 60.0, 70.0, 100.0]
    throughput = [1000.0, 500.0, 700.0, 400.0]
    ttft = [0.30, 0.05, 0.20, 0.10]

    values = readings_along_front(interactivity, throughput, ttft, [30, 50, 70, 100, 120])

    assert sorted(values) == [30, 50, 70, 100]  # inside the front's range only
    assert values[30] == pytest.approx(0.30) and values[70] == pytest.approx(0.20)
    curve = PchipInterpolator([30.0, 70.0, 100.0], [0.30, 0.20, 0.10])
    assert values[50] == pytest.approx(float(curve(50)))


def test_a_front_point_without_its_reading_gives_no_reading() -> None:
    interactivity, throughput = [30.0, 70.0, 100.0], [1000.0, 700.0, 400.0]

    assert readings_along_front(interactivity, throughput, [3.1, None, 2.0], [50]) == {}
    # a dominated point may lack it: it is not on the front
    assert (
        readings_along_front(
            [*interactivity, 60.0], [*throughput, 500.0], [3.1, 2.5, 2.0, None], [50]
        )
        != {}
    )
