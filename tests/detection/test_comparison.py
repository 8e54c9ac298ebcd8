"""A candidate's level against a track's: the interval covers the true change as often as it
says, and the repeats it asks for settle the question."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracker.detection.comparison import (
    NoiseModel,
    Side,
    compare_levels,
    repeats_to_settle,
)
from tracker.detection.noise import ar1_coefficient, noise_sigma


def _noise(logs: np.ndarray) -> NoiseModel:
    return NoiseModel(
        difference_sigma=noise_sigma(logs), ar1=ar1_coefficient(logs), runs=int(logs.size)
    )


@pytest.mark.parametrize(("sigma", "ar1"), [(0.01, 0.0), (0.03, 0.0), (0.01, 0.5)])
def test_the_interval_covers_the_true_change_at_its_confidence(sigma: float, ar1: float) -> None:
    rng = np.random.default_rng(5)
    true_shift = math.log(0.95)
    covered = 0
    trials = 2000
    for _ in range(trials):
        innovations = rng.normal(0.0, sigma * math.sqrt(1 - ar1 * ar1), 31)
        noise = np.empty(31)
        noise[0] = rng.normal(0.0, sigma)
        for t in range(1, 31):
            noise[t] = ar1 * noise[t - 1] + innovations[t]
        history, candidate = noise[:30], true_shift + noise[30]
        comparison = compare_levels(
            shift=float(candidate - history.mean()),
            baseline_runs=30,
            candidate_runs=1,
            noise=_noise(history),
            confidence=0.95,
        )
        low, high = comparison.interval
        covered += low < math.expm1(true_shift) < high
    assert 0.92 <= covered / trials <= 0.985


def test_the_sides_of_an_interval_against_the_margin() -> None:
    noise = NoiseModel(difference_sigma=0.01, ar1=0.0, runs=30)

    def side(change: float) -> Side:
        comparison = compare_levels(
            shift=math.log1p(change),
            baseline_runs=30,
            candidate_runs=1,
            noise=noise,
            confidence=0.95,
        )
        return comparison.side(0.02)

    assert side(-0.12) is Side.BELOW
    assert side(0.12) is Side.ABOVE
    assert side(-0.025) is Side.ACROSS
    quiet = NoiseModel(difference_sigma=0.002, ar1=0.0, runs=30)
    assert (
        compare_levels(
            shift=0.001, baseline_runs=30, candidate_runs=1, noise=quiet, confidence=0.95
        ).side(0.02)
        is Side.INSIDE
    )


def test_the_repeats_asked_for_settle_an_inconclusive_change() -> None:
    noise = NoiseModel(difference_sigma=0.03, ar1=0.0, runs=60)
    shift = math.log(0.93)
    once = compare_levels(
        shift=shift, baseline_runs=60, candidate_runs=1, noise=noise, confidence=0.95
    )
    assert once.side(0.02) is Side.ACROSS
    more = repeats_to_settle(
        shift=shift, baseline_runs=60, candidate_runs=1, noise=noise, confidence=0.95, margin=0.02
    )
    assert more is not None and more >= 1
    settled = compare_levels(
        shift=shift, baseline_runs=60, candidate_runs=1 + more, noise=noise, confidence=0.95
    )
    fewer = compare_levels(
        shift=shift, baseline_runs=60, candidate_runs=more, noise=noise, confidence=0.95
    )
    assert settled.side(0.02) is Side.BELOW
    assert fewer.side(0.02) is Side.ACROSS  # the smallest number that settles it


def test_a_change_on_the_margin_cannot_be_settled_by_repeats() -> None:
    noise = NoiseModel(difference_sigma=0.03, ar1=0.0, runs=60)
    assert (
        repeats_to_settle(
            shift=math.log(0.98),
            baseline_runs=60,
            candidate_runs=1,
            noise=noise,
            confidence=0.95,
            margin=0.02,
        )
        is None
    )
