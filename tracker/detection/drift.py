"""Slow drift: a track whose level slid past a threshold from its best level of the last days,
and not all of it in steps the detector reports (docs/alerts.md#drift).

Pure, like the rest of detection. The level at a run is the median of the week of runs ending
there (outliers set aside), so bad nights neither make nor hide a drift; the best level is the
best at a run of the last days. Only those runs (and the rest of the first one's week) are read.

What the reported steps tell is divided out of the runs themselves, not out of the levels: the
track with each reported step (confirmed or suspected) taken back from its first changed run on
is the *untold* track, and its levels are measured exactly as the track's are. A step then
counts where the week's median feels it, whatever its place against the best level's week (a
step three runs into that week, or in the last three runs, moves no median yet). A drift needs
both a slide past the threshold and an untold part of it: a slide told by its steps alone
(every one a step alert) is no drift, one whose steps are not all told is.

The best of a month of weekly levels is the largest of some thirty noisy values, biased above
the track's true best, and the level now is noisy too: under noise alone the best minus the level
now is 1.5 standard errors of a level on average, with a standard deviation of 1.0 (simulated
normal noise, thirty levels of a week's median). So a drift opens only when the slide passes the
threshold by `MARGIN_SIGMAS` standard errors, and its untold part is that many standard errors
below the best too, and at least half the threshold: within it a drift is over (`HOLD_FRACTION`),
and a step divided out leaves that much of its estimate's error and the best level's noise; the
standard error comes from the track's noise as the detector models it,
first-difference scale and AR(1) coefficient (neighbouring runs that share their noise make a
week's median worth fewer runs).

The steps that added up are named by the same detector run with its reporting bounds lifted
(`STEP_NAMING_OPTIONS`) over the stretch from the best level to now: no second detector.

Only throughput tracks are assessed (`tracker.processing.change_points`, which knows the
metric): a latency is read off the throughput front at a target interactivity, far noisier than
the throughput there, so a few per cent of it is no measure of a slide.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tracker.detection.arrays import FloatArray
from tracker.detection.comparison import noise_model
from tracker.detection.errors import InvalidOptions
from tracker.detection.results import ChangePoint, DetectionOptions
from tracker.detection.track import analyse

LEVEL_RUNS = 7
"""Runs whose median is a level (a week of nightly runs): bad nights move nothing."""

MARGIN_SIGMAS = 2.5
"""Standard errors of a level by which a slide must pass the threshold, and its untold part must
be below the best level, to open a drift: the mean bias of the best of a month's levels (1.5)
plus one standard deviation of the best minus the level now under noise alone (1.0). A track
that does not slide then passes the threshold by noise in fewer than 1 in 200 looks even where
the threshold is only two standard errors, and far fewer on most tracks."""

MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)
"""A median's standard error over the mean's, for normal noise."""

HOLD_FRACTION = 0.5
"""A drifting track keeps drifting until its slide is within half the threshold or its steps tell
all of it, so that a slide hovering at the threshold does not open and resolve alerts night after
night."""

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
    best − 1, `unexplained` the same on the untold track (the reported steps divided out)."""

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
    whether it drifted at its previous run (it then holds while its slide is past
    `HOLD_FRACTION` of the threshold and some of it untold).
    """
    if not values:
        return None
    runs = _window_runs(timestamps, set(outliers), options.days)
    if len(runs) < 2 * LEVEL_RUNS - 1:
        return None
    series = np.asarray([values[i] for i in runs], dtype=np.float64)
    if series.min() <= 0:
        return None
    logs = np.log(series)
    levels = _levels(logs)
    sign = 1.0 if higher_is_better else -1.0
    best_position = int(np.argmax(sign * levels))
    slide = sign * (levels[-1] - levels[best_position])
    bound = math.log1p(-options.threshold * (HOLD_FRACTION if drifting else 1.0))
    if slide > bound:
        return None  # most tracks: no noise estimate needed
    untold_logs = logs - _told_steps(runs, reported)
    untold_levels = _levels(untold_logs)
    untold = sign * (untold_levels[-1] - untold_levels[best_position])
    if drifting:
        margin = untold_bound = 0.0
    else:
        margin = MARGIN_SIGMAS * _level_error(untold_logs)
        # An untold part within half the threshold is one a drift would be over at (the hold).
        untold_bound = min(-margin, math.log1p(-options.threshold * HOLD_FRACTION))
    if slide > bound - margin or untold >= untold_bound:
        return None
    best_index = runs[best_position + LEVEL_RUNS - 1]
    best, level = math.exp(levels[best_position]), math.exp(levels[-1])
    return Drift(
        best_index=best_index,
        best=best,
        level=level,
        relative_change=level / best - 1,
        unexplained=math.expm1(untold_levels[-1] - untold_levels[best_position]),
        steps=_named_steps(values, runs, best_index, higher_is_better=higher_is_better),
    )


def _window_runs(timestamps: Sequence[float], outliers: set[int], days: float) -> list[int]:
    """The runs whose levels are read, outliers left out: those of the last `days` and, before
    them, the rest of the first one's week."""
    start = bisect.bisect_left(timestamps, timestamps[-1] - days * SECONDS_PER_DAY)
    first, before = start, 0
    while first > 0 and before < LEVEL_RUNS - 1:
        first -= 1
        before += first not in outliers
    return [i for i in range(first, len(timestamps)) if i not in outliers]


def _levels(logs: FloatArray) -> FloatArray:
    """The level (log) at each run from the `LEVEL_RUNS`-th on: one median call over the weeks
    as rows of one array."""
    levels: FloatArray = np.median(sliding_window_view(logs, LEVEL_RUNS), axis=1)
    return levels


def _told_steps(runs: list[int], reported: Sequence[ChangePoint]) -> FloatArray:
    """At each of `runs`, the log of what the reported steps since the first of them moved."""
    told = np.zeros(len(runs))
    for point in reported:
        position = bisect.bisect_left(runs, point.index)
        if 0 < position < len(runs):
            told[position:] += math.log1p(point.relative_change)
    return told


def _level_error(logs: FloatArray) -> float:
    """The standard error of a level, a week's median, on the log scale: from the long-run
    variance of the detector's noise model (without steps: `logs` are untold)."""
    noise = noise_model(logs, [0])
    return MEDIAN_EFFICIENCY * math.sqrt(noise.level_variance_per_run / LEVEL_RUNS)


def _named_steps(
    values: Sequence[float], runs: list[int], best_index: int, *, higher_is_better: bool
) -> tuple[DriftStep, ...]:
    stretch = [i for i in runs if i >= best_index - LEVEL_RUNS // 2]
    named = analyse(
        [values[i] for i in stretch], higher_is_better=higher_is_better, options=STEP_NAMING_OPTIONS
    )
    steps = (
        DriftStep(index=stretch[point.index], relative_change=point.relative_change)
        for point in (*named.change_points, *named.suspected)
    )
    return tuple(sorted(steps, key=lambda step: step.index))
