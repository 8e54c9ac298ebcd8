"""Candidate change points by binary segmentation with a deliberately low penalty."""

from __future__ import annotations

import math

import numpy as np

from tracker.detection.arrays import FloatArray, IntArray
from tracker.detection.sums import prefix_sums

# Interior segments are at least this long; shorter runs are outliers, not segments.
MIN_SEGMENT_RUNS = 3
# BIC-like penalty 2 * sigma^2 * ln(n): it over-segments on purpose, the test prunes.
PENALTY_FACTOR = 2.0


def best_split(level_sums: FloatArray, start: int, end: int) -> tuple[int, float] | None:
    """Where splitting levels[start:end] in two reduces the squared error most, and by how much.

    `level_sums` are the prefix sums of the levels. Interior segments keep at least
    MIN_SEGMENT_RUNS points; a last segment that ends the window may have one. None when
    the stretch is too short to split.
    """
    last_run = level_sums.size - 1
    first = start + MIN_SEGMENT_RUNS
    last = end - (1 if end == last_run else MIN_SEGMENT_RUNS)
    if last < first:
        return None
    at_split = level_sums[first : last + 1]
    left = at_split - level_sums[start]
    right = level_sums[end] - at_split
    split_at = np.arange(first, last + 1, dtype=np.float64)
    gain = left * left / (split_at - start) + right * right / (end - split_at)
    best = int(np.argmax(gain))
    total = level_sums[end] - level_sums[start]
    return first + best, float(gain[best] - total * total / (end - start))


def binary_segmentation(levels: FloatArray, sigma: float) -> IntArray:
    """Candidate change points of a piecewise-constant mean, by binary segmentation.

    Each segment is split where the reduction of the squared error is largest (the CUSUM
    statistic), while that reduction exceeds 2 * sigma^2 * ln(n) (Scott & Knott,
    Biometrics 1974; Vostrikova, Soviet Math. Dokl. 1981; the penalty is the BIC-like
    one of ruptures' Binseg as used by the anchors). Interior segments have at least
    MIN_SEGMENT_RUNS points; the last segment may have one, so that a change in the
    latest runs can be suspected before it is confirmed. Returns sorted starts of new
    segments (indices into `levels`).
    """
    n = levels.size
    if n < MIN_SEGMENT_RUNS + 1 or sigma <= 0.0:
        return np.empty(0, dtype=np.intp)
    sums = prefix_sums(levels)
    penalty = PENALTY_FACTOR * sigma * sigma * math.log(n)
    found: list[int] = []
    pending = [(0, n)]
    while pending:
        start, end = pending.pop()
        split = best_split(sums, start, end)
        if split is None or split[1] <= penalty:
            continue
        found.append(split[0])
        pending.append((start, split[0]))
        pending.append((split[0], end))
    return np.array(sorted(found), dtype=np.intp)
