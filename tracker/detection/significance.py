"""Level-shift tests between neighbouring segments, and pruning of candidates that fail."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtr

from tracker.detection.arrays import FloatArray, IntArray
from tracker.detection.sums import SegmentSums


@dataclass(frozen=True)
class ShiftTests:
    """For each change (between its two neighbouring segments): levels and p-value."""

    before: FloatArray
    after: FloatArray
    p_values: FloatArray
    shifts: FloatArray
    """after − before on the analysed scale (logarithms for positive tracks)."""

    def relative_changes(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.after - self.before) / np.abs(self.before)


def level_shift_tests(sums: SegmentSums, boundaries: IntArray, ar1: float) -> ShiftTests:
    """Search-adjusted p-values of a level shift at each interior boundary.

    For the change at c between segments [a, c) and [c, e), the two means are estimated
    by generalised least squares under AR(1) errors with coefficient `ar1` (Prais-Winsten
    transform conditional on the first point: e_t = x_t - ar1 * x_t-1; Prais & Winsten
    1954, see Hamilton, "Time Series Analysis", §8.3), and their difference is tested
    with a t statistic on the transformed residuals. With ar1 = 0 this is the pooled
    two-sample t-test. Serially correlated series (trends, random walks) then need far
    stronger evidence than independent noise. The p-value is multiplied by the number of
    positions the change was chosen among (e - a, Bonferroni), because the boundary is
    where the statistic is largest.
    """
    starts, changes, ends = boundaries[:-2], boundaries[1:-1], boundaries[2:]
    levels, level_sums = sums.levels, sums.level_sums
    phi = ar1

    def transformed_sum(lo: IntArray, hi: IntArray) -> FloatArray:  # sum of e_t, lo <= t < hi
        return (level_sums[hi] - level_sums[lo]) - phi * (level_sums[hi - 1] - level_sums[lo - 1])

    def transformed_squares(lo: IntArray, hi: IntArray) -> FloatArray:
        squares, lagged = sums.square_sums, sums.lag_products
        return (
            (squares[hi] - squares[lo])
            - 2.0 * phi * (lagged[hi] - lagged[lo])
            + phi * phi * (squares[hi - 1] - squares[lo - 1])
        )

    left_count = changes - starts - 1  # transformed points strictly inside each segment
    right_count = ends - changes - 1
    at_change = levels[changes] - phi * levels[changes - 1]
    left_total = transformed_sum(starts + 1, changes)
    right_total = transformed_sum(changes + 1, ends)
    # Normal equations of e_t = mu1 * u_t + mu2 * v_t, with u = (1-phi, ..., 1-phi, -phi, 0...)
    # and v = (0, ..., 0, 1, 1-phi, ...): the transformed segment indicators.
    inside = (1.0 - phi) ** 2  # squared weight of a transformed point inside a segment
    xtx_11 = left_count * inside + phi * phi
    xtx_22 = 1.0 + right_count * inside
    xtx_12 = -phi
    xty_1 = (1.0 - phi) * left_total - phi * at_change
    xty_2 = at_change + (1.0 - phi) * right_total
    determinant = xtx_11 * xtx_22 - xtx_12 * xtx_12
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_1 = (xtx_22 * xty_1 - xtx_12 * xty_2) / determinant
        mean_2 = (xtx_11 * xty_2 - xtx_12 * xty_1) / determinant
        contrast_variance = (xtx_11 + xtx_22 + 2.0 * xtx_12) / determinant
        residual_squares = transformed_squares(starts + 1, ends) - (mean_1 * xty_1 + mean_2 * xty_2)
        dof = ends - starts - 3
        residual_variance = np.maximum(residual_squares, 0.0) / np.maximum(dof, 1)
        standard_error = np.sqrt(residual_variance * contrast_variance)
        t_stat = np.abs(mean_2 - mean_1) / standard_error
    t_stat = np.where(standard_error > 0, t_stat, np.where(mean_2 != mean_1, np.inf, 0.0))
    t_stat = np.where(dof >= 1, t_stat, 0.0)
    p_values = 2.0 * stdtr(np.maximum(dof, 1), -t_stat)
    p_values = np.minimum(1.0, p_values * (ends - starts))
    original = sums.original_sums
    before = (original[changes] - original[starts]) / (changes - starts)
    after = (original[ends] - original[changes]) / (ends - changes)
    shifts = (level_sums[ends] - level_sums[changes]) / (ends - changes) - (
        level_sums[changes] - level_sums[starts]
    ) / (changes - starts)
    return ShiftTests(before=before, after=after, p_values=p_values, shifts=shifts)


def prune_candidates(
    sums: SegmentSums,
    candidates: IntArray,
    *,
    ar1: float,
    max_p_value: float,
    min_relative_change: float,
    min_shift: float = 0.0,
) -> tuple[IntArray, ShiftTests]:
    """Backward elimination: drop the weakest failing candidate until all pass.

    A candidate fails when its search-adjusted p-value exceeds `max_p_value`, its relative
    change is below `min_relative_change`, or its shift on the analysed scale is below
    `min_shift` (long segments make tiny shifts significant; a step smaller than the track's own
    noise is rarely one a person would call a change); of the failing ones the one with the
    largest p-value goes first, and its neighbours are retested against the merged
    segment (the pruning step of Hunter/Otava's E-divisive, Fleming et al., "Hunter:
    using change point detection to hunt for performance regressions", ICPE 2023, with a
    parametric test in place of the permutation test).
    """
    n = sums.levels.size
    kept = candidates
    while True:
        boundaries = np.concatenate(([0], kept, [n])).astype(np.intp)
        tests = level_shift_tests(sums, boundaries, ar1)
        if kept.size == 0:
            return kept, tests
        relative = np.abs(tests.relative_changes())
        failing = (
            (tests.p_values > max_p_value)
            | ~(relative >= min_relative_change)
            | (np.abs(tests.shifts) < min_shift)
        )
        if not failing.any():
            return kept, tests
        weakest = int(np.argmax(np.where(failing, tests.p_values, -1.0)))
        kept = np.delete(kept, weakest)
