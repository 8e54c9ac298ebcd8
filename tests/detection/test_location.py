"""Where a change happened: the interval of runs holds the true first changed run at least as
often as its stated confidence, and narrows as the step grows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracker.detection import DetectionOptions, analyse
from tracker.detection.location import likelihood_ratio_quantile

SIMULATED_CHANGES = 1200


def one_step_track(rng: np.random.Generator, *, step_in_sigmas: float) -> tuple[list[float], int]:
    """A nightly track with one step of `step_in_sigmas` noise sigmas at a random run, and
    the odd bad night; returns the values and the true first changed run."""
    runs = int(rng.integers(40, 160))
    true_first = int(rng.integers(10, runs - 8))
    noise = rng.uniform(0.01, 0.03)
    level = np.ones(runs)
    level[true_first:] *= 1 + rng.choice([-1.0, 1.0]) * step_in_sigmas * noise
    values = 1000 * level * (1 + noise * rng.standard_normal(runs))
    bad = rng.random(runs) < 0.01
    values[bad] *= 1 - rng.uniform(0.15, 0.4, int(bad.sum()))
    return [float(v) for v in values], true_first


def located(values: list[float], true_first: int, options: DetectionOptions) -> tuple[bool, int]:
    """Whether the change found nearest the true run holds it in its interval, and the
    interval's width in runs; raises LookupError when no change was found near it."""
    analysis = analyse(values, higher_is_better=True, options=options)
    near = [point for point in analysis.change_points if abs(point.index - true_first) <= 10]
    if not near:
        raise LookupError("not detected")
    point = min(near, key=lambda p: abs(p.index - true_first))
    assert point.first <= point.index <= point.last
    return point.first <= true_first <= point.last, point.last - point.first + 1


@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_the_interval_holds_the_true_run_at_least_at_its_stated_rate(confidence: float) -> None:
    rng = np.random.default_rng(11)
    options = DetectionOptions(location_confidence=confidence)
    covered = []
    while len(covered) < SIMULATED_CHANGES:
        values, true_first = one_step_track(rng, step_in_sigmas=rng.uniform(2.0, 20.0))
        try:
            holds, _width = located(values, true_first, options)
        except LookupError:
            continue
        covered.append(holds)
    assert np.mean(covered) >= confidence


def test_the_interval_narrows_as_the_step_grows() -> None:
    rng = np.random.default_rng(5)
    mean_widths = []
    for step_in_sigmas in (3.0, 6.0, 12.0):
        widths: list[int] = []
        while len(widths) < 200:
            values, true_first = one_step_track(rng, step_in_sigmas=step_in_sigmas)
            try:
                widths.append(located(values, true_first, DetectionOptions())[1])
            except LookupError:
                continue
        mean_widths.append(float(np.mean(widths)))
    assert mean_widths[0] > mean_widths[1] > mean_widths[2] >= 1.0


def test_the_quantile_is_that_of_the_two_sided_drifted_brownian_maximum() -> None:
    # P(sup <= x) = (1 - exp(-x/2))^2: the 95 % quantile is about 7.35.
    x = likelihood_ratio_quantile(0.95)
    assert (1 - math.exp(-x / 2)) ** 2 == pytest.approx(0.95)
    assert likelihood_ratio_quantile(0.99) > x > likelihood_ratio_quantile(0.9)
