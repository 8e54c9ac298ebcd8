"""Slow drift: a track whose level slid past a threshold from its best level of the last days,
in steps each too small (or too uncertain) to be a change point (docs/alerts.md#drift).

Pure, like the rest of detection. The level at a run is the median of the week of runs ending
there (outliers set aside), so bad nights neither make nor hide a drift; the best level is the
best at a run of the last days. The best of many noisy
levels is biased high, so a slide counts only when it passes the threshold by `MARGIN_SIGMAS`
standard errors of a level besides (the track's noise from the detector's own estimate): the
threshold is then passed with confidence, on quiet and noisy tracks alike. Steps the detector
already reports (confirmed or suspected) are divided out: a drift is only what they leave
unexplained. The steps that added up are named by the same detector run with its reporting
bounds lifted (`STEP_NAMING_OPTIONS`) over the stretch from the best level to now: no second
detector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tracker.detection.errors import InvalidOptions
from tracker.detection.noise import noise_sigma
from tracker.detection.results import ChangePoint, DetectionOptions
from tracker.detection.track import analyse

LEVEL_RUNS = 7
"""Runs whose median is a level (a week of nightly runs): bad nights move nothing."""

MARGIN_SIGMAS = 2.0
"""Standard errors of a level by which a slide must pass the threshold: about the bias of the
best of some 25 noisy levels (benchmarks/alert_kinds.py measures found and false drifts)."""

MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)
"""A median's standard error over the mean's, for normal noise."""

HOLD_FRACTION = 0.5
"""A drifting track keeps drifting until its slide is within half the threshold, so that a slide
hovering at the threshold does not open and resolve alerts night after night."""

STEP_NAMING_OPTIONS = DetectionOptions(
    confirm_runs=0, min_relative_change=0.0, max_p_value=0.05, min_shift_sigmas=0.0
)
"""The detector with its reporting bounds lifted, to name the small steps a drift is made of."""

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class DriftOptions:
    """`threshold`: the relative move from the best level that is a drift (0.05 = 5 %);
    `days`: how far back the best level is looked for."""

    threshold: float = 0.05
    days: float = 30.0

    def __post_init__(self) -> None:
        if not 0 < self.threshold < 1:
            raise InvalidOptions(f"drift threshold must be in (0, 1), got {self.threshold}")
        if not self.days > 0:
            raise InvalidOptions(f"drift days must be > 0, got {self.days}")


@dataclass(frozen=True)
class DriftStep:
    """One small step of a drift: the index of its first changed run and its relative change."""

    index: int
    relative_change: float


@dataclass(frozen=True)
class Drift:
    """The level at the last run against the best level at a run of the window (`best_index`);
    a level is the median of the week of runs ending at its run; `relative_change` = level /
    best − 1, `unexplained` what is left after dividing out the steps the detector reports."""

    best_index: int
    best: float
    level: float
    relative_change: float
    unexplained: float
    steps: tuple[DriftStep, ...]


def find_drift(
    values: Sequence[float],
    timestamps: Sequence[float],
    *,
    higher_is_better: bool,
    reported: Sequence[ChangePoint],
    outliers: Sequence[int],
    options: DriftOptions,
    drifting: bool = False,
) -> Drift | None:
    """The track's drift at its last run, or None when it has none.

    `reported` are the change points (confirmed and suspected) the detector reports on the
    track; `outliers` its outlier runs; `timestamps` in seconds, oldest first; `drifting`
    whether it drifted at its previous run (it then holds down to `HOLD_FRACTION` of the
    threshold).
    """
    if not values:
        return None
    since = timestamps[-1] - options.days * SECONDS_PER_DAY
    outlier_set = set(outliers)
    kept = [i for i in range(len(values)) if i not in outlier_set]
    # A level is measured at a run, over the week ending there: levels at the window's runs,
    # the first of them reaching back before the window.
    first = next((p for p, i in enumerate(kept) if timestamps[i] >= since), len(kept))
    first = max(first, LEVEL_RUNS - 1)
    if len(kept) - first < LEVEL_RUNS:
        return None
    series = np.asarray([values[i] for i in kept], dtype=np.float64)
    window = series[first - LEVEL_RUNS + 1 :]
    if window.min() <= 0:
        return None
    # The week ending at each run from `first` on, as rows of one array: one median call.
    levels = np.median(sliding_window_view(series, LEVEL_RUNS)[first - LEVEL_RUNS + 1 :], axis=1)
    sign = 1.0 if higher_is_better else -1.0
    best_position = int(np.argmax(sign * levels))
    best, level = float(levels[best_position]), float(levels[-1])
    if drifting:
        threshold = options.threshold * HOLD_FRACTION
    else:
        level_error = MEDIAN_EFFICIENCY * noise_sigma(np.log(window)) / math.sqrt(LEVEL_RUNS)
        threshold = -math.expm1(math.log1p(-options.threshold) - MARGIN_SIGMAS * level_error)
    relative = level / best - 1
    if sign * relative > -threshold:
        return None
    best_index = kept[first + best_position]
    explained = math.prod(
        1 + point.relative_change for point in reported if point.index > best_index
    )
    unexplained = (1 + relative) / explained - 1
    if sign * unexplained > -threshold:
        return None
    stretch = [i for i in kept if i >= best_index - LEVEL_RUNS // 2]
    named = analyse(
        [values[i] for i in stretch], higher_is_better=higher_is_better, options=STEP_NAMING_OPTIONS
    )
    steps = tuple(
        DriftStep(index=stretch[point.index], relative_change=point.relative_change)
        for point in (*named.change_points, *named.suspected)
    )
    return Drift(
        best_index=best_index,
        best=best,
        level=level,
        relative_change=relative,
        unexplained=unexplained,
        steps=tuple(sorted(steps, key=lambda step: step.index)),
    )
