"""Slow drift (pure): small steps that add up drift; a step the detector reports does not."""

from __future__ import annotations

import numpy as np
import pytest

from tracker.detection import DetectionOptions, InvalidOptions, analyse
from tracker.detection.drift import Drift, DriftOptions, find_drift

DAY_S = 86_400.0


def track(
    steps: dict[int, float], *, nights: int = 60, noise: float = 0.01, seed: int = 5
) -> list[float]:
    rng = np.random.default_rng(seed)
    level = np.ones(nights) * 1000.0
    for night, factor in steps.items():
        level[night:] *= factor
    return (level * np.exp(rng.normal(0, noise, nights))).tolist()


def drift_of(
    values: list[float], options: DetectionOptions, *, higher_is_better: bool = True
) -> Drift | None:
    times = [night * DAY_S for night in range(len(values))]
    analysis = analyse(values, higher_is_better=higher_is_better, options=options, timestamps=times)
    return find_drift(
        values,
        times,
        higher_is_better=higher_is_better,
        reported=(*analysis.change_points, *analysis.suspected),
        outliers=analysis.outliers,
        options=DriftOptions(),
    )


def test_four_small_steps_below_the_step_threshold_drift_and_are_named() -> None:
    options = DetectionOptions(min_relative_change=0.08)  # no step of the slide is reported
    values = track({28: 0.98, 35: 0.98, 42: 0.98, 49: 0.98})
    assert analyse(values, higher_is_better=True, options=options).change_points == ()
    found = drift_of(values, options)
    assert found is not None
    assert found.relative_change < -0.05
    assert found.steps and all(-0.05 < step.relative_change < 0 for step in found.steps)
    assert all(27 <= step.index <= 52 for step in found.steps)


def test_a_step_the_detector_reports_is_not_a_drift_too() -> None:
    values = track({40: 0.90})
    assert drift_of(values, DetectionOptions()) is None


def test_small_steps_under_the_threshold_in_all_are_no_drift() -> None:
    options = DetectionOptions(min_relative_change=0.08)
    assert drift_of(track({28: 0.985, 42: 0.985}), options) is None


def test_a_gain_is_never_a_drift() -> None:
    options = DetectionOptions(min_relative_change=0.08)
    assert drift_of(track({28: 1.02, 35: 1.02, 42: 1.02, 49: 1.02}), options) is None


def test_a_latency_that_creeps_up_drifts_and_one_that_falls_does_not() -> None:
    options = DetectionOptions(min_relative_change=0.08)
    creeping = track({28: 1.02, 35: 1.02, 42: 1.02, 49: 1.02})
    found = drift_of(creeping, options, higher_is_better=False)
    assert found is not None and found.relative_change > 0.05
    falling = track({28: 0.98, 35: 0.98, 42: 0.98, 49: 0.98})
    assert drift_of(falling, options, higher_is_better=False) is None


def test_a_best_level_older_than_the_window_is_forgotten() -> None:
    options = DetectionOptions(min_relative_change=0.08)
    values = track({10: 0.98, 14: 0.98, 18: 0.98, 22: 0.98}, nights=70)
    assert drift_of(values, options) is None  # the slide ended 48 nights ago: 30 days back, flat


def test_bad_options_are_refused() -> None:
    with pytest.raises(InvalidOptions, match="threshold"):
        DriftOptions(threshold=0)
    with pytest.raises(InvalidOptions, match="days"):
        DriftOptions(days=0)
