"""Robust estimates of a track's noise: its scale and its serial correlation."""

from __future__ import annotations

import math

import numpy as np

from tracker.detection.arrays import FloatArray

# MAD of a normal sample times this is its standard deviation.
MAD_TO_SD = 1.4826
# Above this the AR(1) model leaves too little information to test a level shift.
MAX_AR1_COEFFICIENT = 0.9


def median(sample: FloatArray) -> float:
    """Median of a non-empty 1-D sample (np.median without its per-call overhead)."""
    half = sample.size // 2
    if sample.size % 2:
        return float(np.partition(sample, half)[half])
    lower, upper = np.partition(sample, (half - 1, half))[half - 1 : half + 1]
    return 0.5 * (float(lower) + float(upper))


def mad_scale(sample: FloatArray) -> float:
    """Standard deviation estimated by the scaled median absolute deviation."""
    return MAD_TO_SD * median(np.abs(sample - median(sample)))


def noise_sigma(levels: FloatArray) -> float:
    """Noise standard deviation from the MAD of first differences.

    Differencing removes level shifts (only the differences that straddle a step are
    affected) and the MAD ignores outliers: sigma = 1.4826 * MAD(diff(x)) / sqrt(2)
    (Rousseeuw & Croux, "Alternatives to the median absolute deviation", JASA 1993;
    the first-difference form is the usual noise estimate in change-point penalties,
    e.g. Fryzlewicz, "Wild binary segmentation", Ann. Statist. 2014). Falls back to
    the mean absolute difference when more than half the differences are equal, and
    returns 0.0 only for a constant series.
    """
    if levels.size < 2:
        return 0.0
    differences = np.diff(levels)
    sigma = mad_scale(differences) / math.sqrt(2.0)
    if sigma > 0.0:
        return sigma
    # E|d - mean| = sigma_d * sqrt(2 / pi) for normal differences.
    spread = float(np.mean(np.abs(differences - np.mean(differences))))
    return spread * math.sqrt(math.pi / 2.0) / math.sqrt(2.0)


def ar1_coefficient(levels: FloatArray) -> float:
    """AR(1) coefficient of the noise, robust to level shifts and outliers.

    For x_t = mu_t + e_t with AR(1) errors, the first differences d_t have lag-one
    correlation -(1 - phi) / 2, so phi = 1 + 2 * corr(d_t, d_t-1). The correlation is
    the Gnanadesikan-Kettenring robust estimate from MAD scales of d_t + d_t-1 and
    d_t - d_t-1 (Gnanadesikan & Kettenring, Biometrics 1972). Clipped to [0, 0.9].
    """
    if levels.size < 5:
        return 0.0
    lag_two = levels[2:] - levels[:-2]
    curvature = levels[2:] - 2.0 * levels[1:-1] + levels[:-2]
    var_sum = mad_scale(lag_two) ** 2
    var_difference = mad_scale(curvature) ** 2
    if var_sum + var_difference <= 0.0:
        return 0.0
    correlation = (var_sum - var_difference) / (var_sum + var_difference)
    return min(max(1.0 + 2.0 * correlation, 0.0), MAX_AR1_COEFFICIENT)
