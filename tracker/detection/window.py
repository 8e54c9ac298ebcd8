"""Retrospective analysis of one stretch of a track: outliers first, then level shifts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracker.detection.arrays import FloatArray, IntArray
from tracker.detection.location import (
    likelihood_ratio_quantile,
    locate,
    long_run_variance,
)
from tracker.detection.noise import ar1_coefficient, median, noise_sigma
from tracker.detection.outliers import screen_outliers
from tracker.detection.results import DetectionOptions
from tracker.detection.segmentation import binary_segmentation
from tracker.detection.significance import ShiftTests, prune_candidates
from tracker.detection.sums import SegmentSums

# Residual autocorrelation beyond the usual 2 / sqrt(n) band (Box & Jenkins) means the
# noise is serially correlated, and the AR(1) test is used.
SERIAL_CORRELATION_Z = 2.0


@dataclass(frozen=True)
class Shift:
    """A level shift found in a window, with indices relative to the whole track: its most
    likely first changed run (`index`) and the first and last runs that may be it."""

    index: int
    first: int
    last: int
    before: float
    after: float
    p_value: float


@dataclass(frozen=True)
class WindowFindings:
    """Level shifts (confirmed or not) and outlier runs of one window, in track indices."""

    shifts: tuple[Shift, ...]
    outliers: tuple[int, ...]


def analysis_scale(values: FloatArray) -> FloatArray:
    """Logarithms when every value is positive (throughput noise is multiplicative)."""
    levels = np.log(values) if float(values.min()) > 0.0 else values.copy()
    return levels - median(levels)


@dataclass(frozen=True)
class Screened:
    """A window after its cheap steps: noise scale, outlier runs and candidate changes."""

    values: FloatArray
    sigma: float
    kept_at: IntArray  # window positions of the runs that are not outliers
    kept_levels: FloatArray  # their levels on the analysed scale
    candidates: IntArray  # binary segmentation's candidates, positions in kept_levels
    outliers: tuple[int, ...]  # track indices


def screen_window(values: FloatArray, offset: int) -> Screened | None:
    """Steps 1-3 of `analyse_window`; None when the window has no noise scale (too short, or
    constant)."""
    if values.size < 2:
        return None
    levels = analysis_scale(values)
    sigma = noise_sigma(levels)
    if not sigma > 0.0 or not math.isfinite(sigma):
        return None
    is_outlier = screen_outliers(levels, sigma)
    kept_at = np.flatnonzero(~is_outlier)
    kept_levels = levels[kept_at]
    return Screened(
        values=values,
        sigma=sigma,
        kept_at=kept_at,
        kept_levels=kept_levels,
        candidates=binary_segmentation(kept_levels, sigma),
        outliers=tuple(offset + int(i) for i in np.flatnonzero(is_outlier)),
    )


def analyse_window(values: FloatArray, offset: int, options: DetectionOptions) -> WindowFindings:
    """Outlier runs and confirmed-or-not level shifts of `values` (track indices + offset).

    1. Noise sigma from the MAD of first differences (`noise.noise_sigma`).
    2. Outlier runs of one or two points (`outliers.screen_outliers`) are set aside.
    3. Binary segmentation of the rest proposes candidates (`segmentation`).
    4. Backward elimination keeps those whose level shift is at least
       `options.min_shift_sigmas` noise sigmas and whose level-shift test passes (`significance`):
       first assuming independent noise; if the residuals of that segmentation are
       serially correlated (lag-one autocorrelation above 2 / sqrt(n)), the candidates
       are pruned again under AR(1) errors.
    5. Each kept change gets the likelihood-ratio confidence set of its location between its
       neighbours (`location`).

    A window without candidates (most quiet nights) stops after step 3: pruning nothing leaves
    nothing, under either noise model, so steps 4-5 would find no shift.
    """
    screened = screen_window(values, offset)
    if screened is None:
        return WindowFindings(shifts=(), outliers=())
    if screened.candidates.size == 0:
        return WindowFindings(shifts=(), outliers=screened.outliers)
    return WindowFindings(shifts=kept_shifts(screened, offset, options), outliers=screened.outliers)


def kept_shifts(screened: Screened, offset: int, options: DetectionOptions) -> tuple[Shift, ...]:
    """Steps 4-5 of `analyse_window`: the candidates that pass, located."""
    kept_at, kept_levels, sigma = screened.kept_at, screened.kept_levels, screened.sigma
    sums = SegmentSums.of(kept_levels, screened.values[kept_at])
    candidates = screened.candidates

    def prune(ar1: float) -> tuple[IntArray, ShiftTests]:
        return prune_candidates(
            sums,
            candidates,
            ar1=ar1,
            max_p_value=options.max_p_value,
            min_relative_change=options.min_relative_change,
            min_shift=options.min_shift_sigmas * sigma,
        )

    ar1 = 0.0
    changes, tests = prune(ar1)
    boundaries = np.concatenate(([0], changes, [kept_levels.size])).astype(np.intp)
    correlation = sums.residual_autocorrelation(boundaries)
    if correlation * math.sqrt(kept_levels.size) > SERIAL_CORRELATION_Z:
        ar1 = ar1_coefficient(kept_levels)
        changes, tests = prune(ar1)
    boundaries = np.concatenate(([0], changes, [kept_levels.size])).astype(np.intp)
    variance = long_run_variance(sigma, ar1)
    critical = likelihood_ratio_quantile(options.location_confidence)
    shifts = []
    for i in range(boundaries.size - 2):
        start, change, end = (int(b) for b in boundaries[i : i + 3])
        location = locate(sums.level_sums, start, end, change, variance=variance, critical=critical)
        shifts.append(
            Shift(
                index=offset + int(kept_at[location.best]),
                # The first changed run may be an outlier run just after the last kept run.
                first=offset + int(kept_at[location.first - 1]) + 1,
                last=offset + int(kept_at[location.last]),
                before=float(tests.before[i]),
                after=float(tests.after[i]),
                p_value=float(tests.p_values[i]),
            )
        )
    return tuple(shifts)
