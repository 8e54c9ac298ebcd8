"""Slow drift (pure): small steps that add up drift; a step the detector reports does not, nor
does a slide every step of which it reports."""

from __future__ import annotations

import numpy as np
import pytest

from tracker.detection import DetectionOptions, InvalidOptions, analyse
from tracker.detection.drift import Drift, DriftOptions, find_drift
from tracker.detection.results import ChangePoint, Direction

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


def reported_step(index: int, relative_change: float) -> ChangePoint:
    """A step the detector reports, as find_drift reads it (its index and relative change)."""
    return ChangePoint(
        index=index,
        first=index,
        last=index,
        before=1000.0,
        after=1000.0 * (1 + relative_change),
        relative_change=relative_change,
        p_value=1e-6,
        direction=Direction.GAIN if relative_change > 0 else Direction.REGRESSION,
    )


@pytest.mark.parametrize(("factor", "higher_is_better"), [(0.90, True), (1.15, False)])
def test_a_reported_step_stays_told_while_the_window_starts_next_to_it(
    factor: float, higher_is_better: bool
) -> None:
    # Thirty days after the step the best level is a week of runs mostly before it, at a run
    # after its first changed run: the step is still what moved the level.
    values = track({20: factor}, nights=62)
    for end in range(45, 62):
        found = drift_of(values[: end + 1], DetectionOptions(), higher_is_better=higher_is_better)
        assert found is None, f"a drift at run {end}"


def slide_with_told_steps(told: list[int]) -> Drift | None:
    steps = {28: 0.98, 35: 0.98, 42: 0.98, 49: 0.98}
    values = track(steps, noise=0.005)
    return find_drift(
        values,
        [night * DAY_S for night in range(len(values))],
        higher_is_better=True,
        reported=[reported_step(night, steps[night] - 1) for night in told],
        outliers=(),
        options=DriftOptions(),
    )


def test_a_slide_whose_steps_are_not_all_told_drifts_with_its_untold_part() -> None:
    found = slide_with_told_steps([28, 35])  # two step alerts tell −4 % of the −7.8 %
    assert found is not None
    assert found.relative_change < -0.06
    assert -0.05 < found.unexplained < -0.025


def test_a_slide_whose_every_step_is_told_is_no_drift() -> None:
    assert slide_with_told_steps([28, 35, 42, 49]) is None


def test_noise_that_neighbouring_runs_share_is_no_drift() -> None:
    # AR(1) noise wanders for weeks: its weekly levels are worth fewer runs than seven.
    rng = np.random.default_rng(22)
    noise = np.zeros(120)
    for night in range(1, 120):
        noise[night] = 0.7 * noise[night - 1] + rng.normal(0, 0.012)
    values = (1000.0 * np.exp(noise)).tolist()
    for end in range(40, 120):
        assert drift_of(values[: end + 1], DetectionOptions()) is None, f"a drift at run {end}"


@pytest.mark.parametrize("seed", range(10))
def test_a_reported_step_is_no_drift_for_the_little_its_estimate_leaves(seed: int) -> None:
    # Divided out, a step leaves its estimate's error and the best level's noise: a part that
    # can pass a few standard errors, but within half the threshold, where a drift is over.
    values = track({20: 0.90}, nights=40, seed=seed)
    for end in range(21, 40):
        assert drift_of(values[: end + 1], DetectionOptions()) is None, f"a drift at run {end}"
