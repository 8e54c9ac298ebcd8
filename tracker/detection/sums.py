"""Prefix sums that give any segment's mean, squared error and lag products in O(1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.detection.arrays import FloatArray, IntArray


def prefix_sums(values: FloatArray) -> FloatArray:
    """sums[i] = values[:i].sum(), so a segment's sum is a difference of two entries."""
    sums = np.empty(values.size + 1)
    sums[0] = 0.0
    np.cumsum(values, out=sums[1:])
    return sums


@dataclass(frozen=True)
class SegmentSums:
    """Prefix sums of a window's levels (analysed scale) and of its original values."""

    levels: FloatArray
    level_sums: FloatArray
    square_sums: FloatArray
    lag_products: FloatArray  # lag_products[i] = sum of levels[t] * levels[t - 1], 1 <= t < i
    original_sums: FloatArray  # on the caller's scale, for the reported levels

    @classmethod
    def of(cls, levels: FloatArray, original: FloatArray) -> SegmentSums:
        lag_products = np.zeros(levels.size + 1)
        if levels.size > 1:
            np.cumsum(levels[1:] * levels[:-1], out=lag_products[2:])
        return cls(
            levels=levels,
            level_sums=prefix_sums(levels),
            square_sums=prefix_sums(levels * levels),
            lag_products=lag_products,
            original_sums=prefix_sums(original),
        )

    def residual_autocorrelation(self, boundaries: IntArray) -> float:
        """Lag-one autocorrelation of the residuals from the segment means.

        `boundaries` are the segment starts plus the end (0, c1, ..., n); pairs of points
        that straddle a boundary are left out. Under independent noise this is about
        N(0, 1/n) (Box & Jenkins, "Time Series Analysis", §6.2), which callers test.
        """
        starts, ends = boundaries[:-1], boundaries[1:]
        lengths = ends - starts
        totals = self.level_sums[ends] - self.level_sums[starts]
        means = totals / lengths
        squared_error = self.square_sums[ends] - self.square_sums[starts] - totals * means
        # sum over t in (start, end) of (x_t - m)(x_t-1 - m)
        lagged = (
            (self.lag_products[ends] - self.lag_products[starts + 1])
            - means * (totals - self.levels[starts] + totals - self.levels[ends - 1])
            + (lengths - 1) * means * means
        )
        energy = float(np.sum(squared_error))
        return float(np.sum(lagged)) / energy if energy > 0.0 else 0.0
