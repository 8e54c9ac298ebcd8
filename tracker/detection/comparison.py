"""A candidate's level against a track's level: the relative change and its confidence interval.

Both levels are means on the log scale (throughput noise is multiplicative). The track's noise
model gives the variances: a single run varies with the marginal noise, difference_sigma^2 /
(1 - ar1) (`noise.noise_sigma` is sigma * sqrt(1 - ar1), see `location.long_run_variance`), so
the mean of n_c repeats of one commit has variance marginal / n_c; the mean of the n_b runs of a
level varies with the long-run variance, long_run / n_b, since neighbouring nights share their
noise when ar1 > 0. The difference of the two means is read against Student's t with the degrees
of freedom of the noise estimate, and the interval turned into relative changes
(exp(low) - 1, exp(high) - 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.special import stdtrit

from tracker.detection.arrays import FloatArray
from tracker.detection.location import long_run_variance
from tracker.detection.noise import ar1_coefficient, noise_sigma
from tracker.detection.sums import SegmentSums
from tracker.detection.window import SERIAL_CORRELATION_Z

MAX_REPEATS = 30
"""More candidate repeats than this are not worth suggesting: the answer says none settles it."""


class Side(StrEnum):
    """Where an interval of relative changes lies against ±margin."""

    BELOW = "below"  # wholly below -margin
    ABOVE = "above"  # wholly above +margin
    INSIDE = "inside"  # wholly within (-margin, +margin)
    ACROSS = "across"  # straddles a margin: undecided


@dataclass(frozen=True)
class NoiseModel:
    """A track's noise on the log scale: the first-difference scale, the AR(1) coefficient and
    how many runs estimated them."""

    difference_sigma: float
    ar1: float
    runs: int

    @property
    def run_variance(self) -> float:
        return self.difference_sigma**2 / (1.0 - self.ar1)

    @property
    def level_variance_per_run(self) -> float:
        return long_run_variance(self.difference_sigma, self.ar1)

    def quantile(self, confidence: float) -> float:
        """Two-sided Student's t quantile at `confidence`, with the noise estimate's freedom."""
        return float(stdtrit(max(self.runs - 2, 1), 0.5 + confidence / 2.0))


def noise_model(levels: FloatArray, segment_starts: Sequence[int]) -> NoiseModel:
    """A track's noise as detection models it (`window.analyse_window`): the first-difference
    scale of its log values (outliers left out), and an AR(1) coefficient only when the residuals
    from its segments' means are serially correlated beyond 2 / sqrt(n)."""
    sigma = noise_sigma(levels)
    boundaries = np.array([*segment_starts, levels.size], dtype=np.intp)
    correlation = SegmentSums.of(levels, levels).residual_autocorrelation(boundaries)
    correlated = correlation * math.sqrt(levels.size) > SERIAL_CORRELATION_Z
    return NoiseModel(
        difference_sigma=sigma,
        ar1=ar1_coefficient(levels) if correlated else 0.0,
        runs=int(levels.size),
    )


@dataclass(frozen=True)
class LevelComparison:
    """log(candidate level) - log(baseline level), and the half width of its interval."""

    shift: float
    half_width: float

    @property
    def relative_change(self) -> float:
        return math.expm1(self.shift)

    @property
    def interval(self) -> tuple[float, float]:
        return (math.expm1(self.shift - self.half_width), math.expm1(self.shift + self.half_width))

    def side(self, margin: float) -> Side:
        low, high = self.interval
        if high < -margin:
            return Side.BELOW
        if low > margin:
            return Side.ABOVE
        if -margin < low and high < margin:
            return Side.INSIDE
        return Side.ACROSS


def compare_levels(
    *,
    shift: float,
    baseline_runs: int,
    candidate_runs: int,
    noise: NoiseModel,
    confidence: float,
) -> LevelComparison:
    """The interval of a log-level difference `shift` between a baseline level of
    `baseline_runs` runs and a candidate's mean of `candidate_runs` repeats."""
    variance = noise.run_variance / candidate_runs + noise.level_variance_per_run / baseline_runs
    return LevelComparison(shift=shift, half_width=noise.quantile(confidence) * math.sqrt(variance))


def repeats_to_settle(
    *,
    shift: float,
    baseline_runs: int,
    candidate_runs: int,
    noise: NoiseModel,
    confidence: float,
    margin: float,
) -> int | None:
    """How many more candidate repeats would settle an undecided comparison, were their mean
    to stay where it is; None when even MAX_REPEATS in all would not (the change sits on the
    margin, or the baseline's own uncertainty is too wide)."""
    for total in range(candidate_runs + 1, MAX_REPEATS + 1):
        comparison = compare_levels(
            shift=shift,
            baseline_runs=baseline_runs,
            candidate_runs=total,
            noise=noise,
            confidence=confidence,
        )
        if comparison.side(margin) is not Side.ACROSS:
            return total - candidate_runs
    return None
