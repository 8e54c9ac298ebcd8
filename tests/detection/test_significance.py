"""The level-shift test computed from prefix sums equals the textbook computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tracker.detection.arrays import FloatArray
from tracker.detection.significance import level_shift_tests
from tracker.detection.sums import SegmentSums

BOUNDARIES = np.array([0, 23, 61, 64, 90], dtype=np.intp)
SPANS = [(0, 23, 61), (23, 61, 64), (61, 64, 90)]  # (start, change, end) of each change


def sample(seed: int) -> FloatArray:
    rng = np.random.default_rng(seed)
    levels = np.repeat([0.0, 0.4, -0.2, 0.3], np.diff(BOUNDARIES))
    noisy: FloatArray = levels + rng.standard_normal(BOUNDARIES[-1])
    return noisy


def test_without_serial_correlation_it_is_the_pooled_t_test_times_the_positions_searched() -> None:
    levels = sample(1)
    tests = level_shift_tests(SegmentSums.of(levels, levels), BOUNDARIES, ar1=0.0)

    for i, (start, change, end) in enumerate(SPANS):
        # Conditional on the first point of the span, as in the AR(1) case.
        pooled = stats.ttest_ind(levels[start + 1 : change], levels[change:end]).pvalue
        assert tests.p_values[i] == pytest.approx(min(1.0, pooled * (end - start)), rel=1e-9)
        assert tests.before[i] == pytest.approx(levels[start:change].mean())
        assert tests.after[i] == pytest.approx(levels[change:end].mean())


@pytest.mark.parametrize("ar1", [0.3, 0.7, 0.9])
def test_with_ar1_errors_it_is_least_squares_on_the_prais_winsten_transform(ar1: float) -> None:
    levels = sample(2)
    tests = level_shift_tests(SegmentSums.of(levels, levels), BOUNDARIES, ar1=ar1)

    for i, (start, change, end) in enumerate(SPANS):
        runs = np.arange(start, end)
        after = (runs >= change).astype(float)
        # e_t = x_t - ar1 * x_t-1 for t > start, regressed on the transformed indicators.
        design = np.column_stack([1.0 - after, after])
        transformed = design[1:] - ar1 * design[:-1]
        response = levels[start + 1 : end] - ar1 * levels[start : end - 1]
        coefficients, residuals, _rank, _sv = np.linalg.lstsq(transformed, response, rcond=None)
        dof = len(response) - 2
        covariance = residuals[0] / dof * np.linalg.inv(transformed.T @ transformed)
        t_stat = (coefficients[1] - coefficients[0]) / np.sqrt(
            covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
        )
        expected = min(1.0, 2 * stats.t.sf(abs(t_stat), dof) * (end - start))
        assert tests.p_values[i] == pytest.approx(expected, rel=1e-6)
