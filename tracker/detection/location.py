"""Where a level shift happened, with its uncertainty: a likelihood-ratio confidence set of the
runs that may be its first changed one.

For a change between fixed neighbouring boundaries a and e, each split t in (a, e) has the
profile log-likelihood of a two-segment Gaussian mean model, which grows with
G(t) = S(a, t)^2 / (t - a) + S(t, e)^2 / (e - t) (S: sums of the levels). The confidence set
holds the splits whose likelihood-ratio statistic
(G(t_max) - G(t)) / sigma^2 stays within the quantile of its limit at the true split,
sup_s (2 W(s) - |s|) for a two-sided standard Brownian motion W, whose distribution function is
(1 - exp(-x / 2))^2 (Hinkley, "Inference about the change-point in a sequence of random
variables", Biometrika 57, 1970; Siegmund, "Confidence sets in change-point problems", Int.
Statist. Rev. 56, 1988). On a discrete track the statistic at the true split is smaller than
its continuous limit, so the set errs on the wide side. sigma^2 is the long-run variance of the
noise: under AR(1) errors, partial sums wander further and the set widens accordingly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracker.detection.arrays import FloatArray, IntArray


def likelihood_ratio_quantile(confidence: float) -> float:
    """x with P(sup_s (2 W(s) - |s|) <= x) = confidence: -2 ln(1 - sqrt(confidence))."""
    return -2.0 * math.log(1.0 - math.sqrt(confidence))


def long_run_variance(difference_sigma: float, ar1: float) -> float:
    """The long-run variance of AR(1) noise from the first-difference scale of `noise`.

    `difference_sigma` estimates sqrt(Var(x_t - x_t-1) / 2) = sigma * sqrt(1 - ar1) for
    marginal sigma; the long-run variance is sigma^2 (1 + ar1) / (1 - ar1).
    """
    return difference_sigma**2 * (1.0 + ar1) / (1.0 - ar1) ** 2


def _split_gain(level_sums: FloatArray, start: int, end: int) -> tuple[IntArray, FloatArray]:
    """Splits t = start+1 .. end-1 of levels[start:end] and their G(t)."""
    splits = np.arange(start + 1, end, dtype=np.intp)
    left = level_sums[splits] - level_sums[start]
    right = level_sums[end] - level_sums[splits]
    gain = left * left / (splits - start) + right * right / (end - splits)
    return splits, gain


@dataclass(frozen=True)
class Location:
    """A change's first changed point as found (`best`) and the hull of its confidence set."""

    best: int
    first: int
    last: int


def locate(
    level_sums: FloatArray, start: int, end: int, best: int, *, variance: float, critical: float
) -> Location:
    """The confidence set of the split between `start` and `end` around `best`, as its hull.

    Splits t with (G(t_max) - G(t)) / variance <= critical, where t_max is the largest G of any
    split; the hull spans from the first to the last such split and holds `best`.
    """
    splits, gain = _split_gain(level_sums, start, end)
    if not variance > 0.0:
        return Location(best, best, best)
    statistic = (float(gain.max()) - gain) / variance
    inside = splits[statistic <= critical]
    first = min(int(inside.min()), best) if inside.size else best
    last = max(int(inside.max()), best) if inside.size else best
    return Location(best=best, first=first, last=last)
