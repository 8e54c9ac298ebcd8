"""Slow drift: a track whose level slid past a threshold from its best level of the last days,
in steps each too small (or too uncertain) to be a change point (docs/alerts.md#drift).

Pure, like the rest of detection. The level at a run is the median of five consecutive runs
(outliers set aside), so one bad night neither makes nor hides a drift. Steps the detector
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

from tracker.detection.errors import InvalidOptions
from tracker.detection.results import ChangePoint, DetectionOptions
from tracker.detection.track import analyse

LEVEL_RUNS = 5
"""Runs whose median is a level: one bad night, or two, move nothing."""

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
    """The level at the last run against the best level of the window (`best_index`, the middle
    run of the best five); `relative_change` = level / best − 1, `unexplained` what is left
    after dividing out the steps the detector reports."""

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
) -> Drift | None:
    """The track's drift at its last run, or None when it has none.

    `reported` are the change points (confirmed and suspected) the detector reports on the
    track; `outliers` its outlier runs; `timestamps` in seconds, oldest first.
    """
    if not values:
        return None
    since = timestamps[-1] - options.days * SECONDS_PER_DAY
    outlier_set = set(outliers)
    kept = [i for i in range(len(values)) if timestamps[i] >= since and i not in outlier_set]
    if len(kept) < 2 * LEVEL_RUNS:
        return None
    window = np.asarray([values[i] for i in kept], dtype=np.float64)
    levels = np.asarray(
        [float(np.median(window[i : i + LEVEL_RUNS])) for i in range(window.size - LEVEL_RUNS + 1)]
    )
    sign = 1.0 if higher_is_better else -1.0
    best_position = int(np.argmax(sign * levels))
    best, level = float(levels[best_position]), float(levels[-1])
    if best <= 0 or level <= 0:
        return None
    relative = level / best - 1
    if sign * relative > -options.threshold:
        return None
    best_index = kept[best_position + LEVEL_RUNS // 2]
    explained = math.prod(
        1 + point.relative_change for point in reported if point.index > best_index
    )
    unexplained = (1 + relative) / explained - 1
    if sign * unexplained > -options.threshold:
        return None
    stretch = [i for i in kept if i >= best_index]
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
