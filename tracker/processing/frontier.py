"""The Pareto frontier of a sweep, and throughput (or a latency or energy of its points) read
off it at fixed interactivity (docs/frontier.md)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence


def pareto_front(interactivity: Sequence[float], throughput: Sequence[float]) -> list[int]:
    """Indices of the points no other point dominates, in increasing interactivity.

    A point is dominated when another has at least its interactivity and at least its throughput
    (one of them strictly more). Of exact duplicates one is kept. Along the returned front
    interactivity strictly increases and throughput strictly decreases.
    """
    order = sorted(range(len(interactivity)), key=lambda i: (-interactivity[i], -throughput[i]))
    front: list[int] = []
    best_throughput = -math.inf
    for index in order:
        if throughput[index] > best_throughput:
            front.append(index)
            best_throughput = throughput[index]
    front.reverse()
    return front


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """One-sided three-point derivative at an end, kept shape-preserving (Moler, NCM §3.4)."""
    slope = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if _sign(slope) != _sign(m0):
        return 0.0
    if _sign(m0) != _sign(m1) and abs(slope) > abs(3 * m0):
        return 3 * m0
    return slope


def _pchip_slopes(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    """Node derivatives of the PCHIP interpolant: weighted harmonic means of adjacent secants."""
    widths = [xs[k + 1] - xs[k] for k in range(len(xs) - 1)]
    secants = [(ys[k + 1] - ys[k]) / widths[k] for k in range(len(xs) - 1)]
    if len(xs) == 2:
        return [secants[0], secants[0]]
    slopes = [0.0] * len(xs)
    for k in range(1, len(xs) - 1):
        m_left, m_right = secants[k - 1], secants[k]
        if m_left == 0 or m_right == 0 or _sign(m_left) != _sign(m_right):
            continue
        w_left = 2 * widths[k] + widths[k - 1]
        w_right = widths[k] + 2 * widths[k - 1]
        slopes[k] = (w_left + w_right) / (w_left / m_left + w_right / m_right)
    slopes[0] = _end_slope(widths[0], widths[1], secants[0], secants[1])
    slopes[-1] = _end_slope(widths[-1], widths[-2], secants[-1], secants[-2])
    return slopes


def monotone_cubic(
    xs: Sequence[float], ys: Sequence[float], targets: Iterable[float]
) -> dict[float, float]:
    """PCHIP through ``(xs, ys)`` (``xs`` strictly increasing), at the targets inside the range.

    The monotone piecewise-cubic Hermite interpolant of Fritsch & Carlson ("Monotone Piecewise
    Cubic Interpolation", SIAM J. Numer. Anal. 17(2), 1980) with the node derivatives of
    Fritsch & Butland (1984), as in Moler's ``pchip`` and scipy's ``PchipInterpolator``: it never
    overshoots the data between nodes. Written out because fronts have a handful of points and
    building a scipy interpolator per sweep costs ten times more than the arithmetic.
    """
    slopes = _pchip_slopes(xs, ys)
    values: dict[float, float] = {}
    for target in targets:
        if not xs[0] <= target <= xs[-1]:
            continue
        k = min(bisect_right(xs, target) - 1, len(xs) - 2)
        width = xs[k + 1] - xs[k]
        t = (target - xs[k]) / width
        h00 = (1 + 2 * t) * (1 - t) ** 2
        h10 = t * (1 - t) ** 2
        h01 = t * t * (3 - 2 * t)
        h11 = t * t * (t - 1)
        values[target] = (
            h00 * ys[k] + h10 * width * slopes[k] + h01 * ys[k + 1] + h11 * width * slopes[k + 1]
        )
    return values


def values_at_targets(
    interactivity: Sequence[float], throughput: Sequence[float], targets: Iterable[float]
) -> dict[float, float]:
    """Throughput on the Pareto front at each target interactivity inside the front's range.

    Targets outside the front's range are absent: never extrapolated, never clamped. A front of
    one point yields nothing.
    """
    return readings_along_front(interactivity, throughput, throughput, targets)


def readings_along_front(
    interactivity: Sequence[float],
    throughput: Sequence[float],
    readings: Sequence[float | None],
    targets: Iterable[float],
) -> dict[float, float]:
    """Another measurement of the points (a latency, an energy) read along their throughput
    front: the front points' `readings` interpolated at each target inside the front's range.

    The same front, range and interpolation as `values_at_targets`, so that a target's latency
    belongs to the operating point its throughput value describes. Nothing when a front point
    lacks its reading (None): a reading from part of the front would describe another curve.
    """
    front = pareto_front(interactivity, throughput)
    if len(front) < 2:
        return {}
    along = [readings[i] for i in front]
    if any(reading is None for reading in along):
        return {}
    return monotone_cubic(
        [interactivity[i] for i in front], [float(r) for r in along if r is not None], targets
    )


def target_label(interactivity: float) -> str:
    """The JSON key of a target interactivity: ``35.0`` → ``"35"``, ``12.5`` → ``"12.5"``."""
    return f"{interactivity:g}"
