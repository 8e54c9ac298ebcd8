"""Outlier runs: one bad night, or two adjacent ones, that the track comes back from."""

from __future__ import annotations

import statistics

import numpy as np

from tracker.detection.arrays import BoolArray, FloatArray

# A run is an outlier when it sits this many noise sigmas from the level on both sides.
OUTLIER_SIGMAS = 5.0
# Points on each side whose median is the neighbouring level.
NEIGHBOURHOOD = 5


def _medians_of_five(levels: FloatArray) -> FloatArray:
    """medians[i] = median(levels[i : i + 5]) for every full window, without sorting.

    Of a, b, c, d, neither min(min(a, b), min(c, d)) nor max(max(a, b), max(c, d)) can
    be the median of five, and dropping one value below it and one above keeps it, so
    median5 = median3(max(min(a, b), min(c, d)), min(max(a, b), max(c, d)), e).
    """
    count = levels.size - NEIGHBOURHOOD + 1
    a, b, c, d, e = (levels[k : k + count] for k in range(NEIGHBOURHOOD))
    second = np.maximum(np.minimum(a, b), np.minimum(c, d))
    third = np.minimum(np.maximum(a, b), np.maximum(c, d))
    return np.maximum(np.minimum(second, third), np.minimum(np.maximum(second, third), e))


def neighbour_levels(levels: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(preceding, following), both of length n + 1.

    preceding[i] is the median of the NEIGHBOURHOOD points before i (fewer near the
    start, NaN at 0); following[i] the median of the NEIGHBOURHOOD points from i on
    (fewer near the end, NaN at n).
    """
    n = levels.size
    preceding = np.full(n + 1, np.nan)
    following = np.full(n + 1, np.nan)
    if n >= NEIGHBOURHOOD:
        full = _medians_of_five(levels)
        following[: full.size] = full
        preceding[NEIGHBOURHOOD : NEIGHBOURHOOD + full.size] = full
    # The few shorter neighbourhoods at the ends: plain Python is faster on four numbers.
    start, end = levels[: NEIGHBOURHOOD - 1].tolist(), levels[1 - NEIGHBOURHOOD :].tolist()
    for i in range(1, min(NEIGHBOURHOOD, n + 1)):
        preceding[i] = statistics.median(start[:i])
    for i in range(max(n - NEIGHBOURHOOD + 1, 0), n):
        following[i] = statistics.median(end[i - n :])
    return preceding, following


def _beyond_on_one_side(deviations: list[FloatArray], threshold: float) -> BoolArray:
    """True where every deviation exceeds `threshold` with one common sign (NaN: False)."""
    lowest: FloatArray = np.minimum.reduce(deviations)
    highest: FloatArray = np.maximum.reduce(deviations)
    return (lowest > threshold) | (highest < -threshold)


def screen_outliers(levels: FloatArray, sigma: float) -> BoolArray:
    """Mark runs of one or two points that deviate from both neighbouring levels.

    A run is an outlier when every point of it lies more than OUTLIER_SIGMAS * sigma from
    the median of the NEIGHBOURHOOD points before it and from the median of the
    NEIGHBOURHOOD points after it, on the same side of both, and at least one point
    follows it (the series came back). The medians keep an adjacent outlier or a nearby
    step from hiding a run, and a step is not flagged because its points sit at the level
    of one side. This is the two-sided Hampel identifier (Hampel, "The influence curve
    and its role in robust estimation", JASA 1974; Pearson et al., "Generalized Hampel
    filters", EURASIP J. Adv. Signal Process. 2016) restricted to runs of one or two.
    A run at the very start is judged against the level after it alone; tracks shorter
    than two neighbourhoods have no outliers yet.
    """
    n = levels.size
    flagged = np.zeros(n, dtype=bool)
    if n < 2 * NEIGHBOURHOOD or sigma <= 0.0:
        return flagged
    threshold = OUTLIER_SIGMAS * sigma
    preceding, following = neighbour_levels(levels)
    after_single = following[1:n]
    before_single = np.where(np.isnan(preceding[: n - 1]), after_single, preceding[: n - 1])
    point = levels[: n - 1]
    single = _beyond_on_one_side([point - before_single, point - after_single], threshold)
    flagged[: n - 1] |= single
    after_pair = following[2:n]
    before_pair = np.where(np.isnan(preceding[: n - 2]), after_pair, preceding[: n - 2])
    first, second = levels[: n - 2], levels[1 : n - 1]
    pair = _beyond_on_one_side(
        [first - before_pair, first - after_pair, second - before_pair, second - after_pair],
        threshold,
    )
    flagged[: n - 2] |= pair
    flagged[1 : n - 1] |= pair
    return flagged
