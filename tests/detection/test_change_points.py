"""What a user of the tracker sees: real changes alerted, bad nights not."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from tracker.detection import (
    DetectionOptions,
    Direction,
    analyse,
    detect_change_points,
)

TrackMaker = Callable[..., list[float]]  # the `track` fixture of conftest.py


def near(found: list[int], expected: list[int], tolerance: int = 1) -> bool:
    return len(found) == len(expected) and all(
        abs(f - e) <= tolerance for f, e in zip(sorted(found), expected, strict=True)
    )


def test_several_steps_up_and_down_are_found_with_levels_and_directions(track: TrackMaker) -> None:
    values = track([(40, 1000.0), (40, 950.0), (40, 1045.0), (40, 990.0)], noise=0.01)

    analysis = analyse(values, higher_is_better=True)

    assert [p.index for p in analysis.change_points] == [40, 80, 120]
    assert [p.direction for p in analysis.change_points] == [
        Direction.REGRESSION,
        Direction.GAIN,
        Direction.REGRESSION,
    ]
    first = analysis.change_points[0]
    assert first.before == pytest.approx(1000.0, rel=0.01)
    assert first.after == pytest.approx(950.0, rel=0.01)
    assert first.relative_change == pytest.approx((first.after - first.before) / first.before)
    assert first.relative_change == pytest.approx(-0.05, abs=0.01)
    assert all(p.p_value < 1e-6 for p in analysis.change_points)
    assert analysis.suspected == ()


@pytest.mark.parametrize("seed", range(20))
def test_a_three_sigma_step_is_found(track: TrackMaker, seed: int) -> None:
    direction = 1 if seed % 2 else -1
    values = track([(50, 1000.0), (50, 1000.0 * (1 + direction * 0.03))], noise=0.01, seed=seed)

    assert near(detect_change_points(values), [50])


@pytest.mark.parametrize("shortfall", [0.15, 0.25, 0.40])
@pytest.mark.parametrize("night", [3, 30, 58])
def test_one_bad_night_is_an_outlier_never_a_change(
    track: TrackMaker, shortfall: float, night: int
) -> None:
    values = track([(60, 1000.0)], noise=0.02, seed=night, bad_nights={night: shortfall})

    analysis = analyse(values, higher_is_better=True)

    assert analysis.change_points == ()
    assert analysis.suspected == ()
    assert analysis.outliers == (night,)


@pytest.mark.parametrize("night", [5, 30, 57])
def test_two_adjacent_bad_nights_are_outliers_never_a_change(track: TrackMaker, night: int) -> None:
    values = track([(60, 1000.0)], noise=0.02, seed=night, bad_nights={night: 0.3, night + 1: 0.2})

    analysis = analyse(values, higher_is_better=True)

    assert analysis.change_points == ()
    assert analysis.suspected == ()
    assert analysis.outliers == (night, night + 1)


def test_noisy_tracks_with_bad_nights_raise_no_false_alarm() -> None:
    alarms = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        values = 1000.0 * (1.0 + rng.uniform(0.01, 0.03) * rng.standard_normal(200))
        bad = rng.random(200) < 0.02
        bad[-2:] = False  # a bad last night is rightly suspected until the next run
        values[bad] *= 1.0 - rng.uniform(0.15, 0.40, bad.sum())
        analysis = analyse(values.tolist(), higher_is_better=True)
        alarms += len(analysis.change_points) + len(analysis.suspected)
    assert alarms == 0


def test_a_bad_night_beside_a_real_step_leaves_the_step(track: TrackMaker) -> None:
    values = track([(60, 1000.0), (60, 900.0)], noise=0.01, bad_nights={58: 0.3, 63: 0.3})

    analysis = analyse(values, higher_is_better=True)

    assert [p.index for p in analysis.change_points] == [60]
    assert analysis.outliers == (58, 63)


def test_missing_nights_and_uneven_spacing_change_nothing_but_the_labels(
    track: TrackMaker,
) -> None:
    values = track([(50, 1000.0), (50, 920.0)], noise=0.015, seed=3)
    rng = np.random.default_rng(3)
    nights_apart = rng.choice([1, 1, 1, 2, 3, 7], size=len(values))  # skipped nights, a week off
    day = 86_400.0
    timestamps = (np.cumsum(nights_apart) * day + 1.7e9).tolist()

    with_times = analyse(values, higher_is_better=True, timestamps=timestamps)
    without = analyse(values, higher_is_better=True)

    assert [p.index for p in with_times.change_points] == [50]
    assert with_times.change_points[0].timestamp == timestamps[50]
    assert [dataclasses.replace(p, timestamp=None) for p in with_times.change_points] == list(
        without.change_points
    )


def test_a_month_long_improvement_is_reported_as_its_steps(track: TrackMaker) -> None:
    weekly_gains = [(60, 1000.0), (7, 1040.0), (7, 1085.0), (7, 1130.0), (60, 1175.0)]
    values = track(weekly_gains, noise=0.01, seed=5)

    analysis = analyse(values, higher_is_better=True)

    assert near([p.index for p in analysis.change_points], [60, 67, 74, 81])
    assert {p.direction for p in analysis.change_points} == {Direction.GAIN}


def test_a_change_in_the_last_runs_is_suspected_until_confirmed(track: TrackMaker) -> None:
    values = track([(100, 1000.0), (10, 880.0)], noise=0.01, seed=11)

    for runs in (101, 102, 103):  # 0, 1, 2 runs after the first changed run
        analysis = analyse(values[:runs], higher_is_better=True)
        assert analysis.change_points == ()
        assert [p.index for p in analysis.suspected] == [100]
        assert analysis.suspected[0].direction is Direction.REGRESSION
    confirmed = analyse(values[:104], higher_is_better=True)  # confirm_runs = 3 runs after
    assert [p.index for p in confirmed.change_points] == [100]
    assert confirmed.suspected == ()

    patient = DetectionOptions(confirm_runs=5)
    assert analyse(values[:105], higher_is_better=True, options=patient).change_points == ()
    assert len(analyse(values[:106], higher_is_better=True, options=patient).change_points) == 1


def test_a_suspected_drop_that_comes_back_becomes_an_outlier(track: TrackMaker) -> None:
    values = track([(80, 1000.0)], noise=0.01, seed=2, bad_nights={78: 0.3})

    tonight = analyse(values[:79], higher_is_better=True)
    tomorrow = analyse(values[:80], higher_is_better=True)

    assert [p.index for p in tonight.suspected] == [78]
    assert tomorrow.suspected == ()
    assert tomorrow.change_points == ()
    assert tomorrow.outliers == (78,)


def test_changes_below_the_minimum_relative_change_are_not_reported(track: TrackMaker) -> None:
    values = track([(60, 1000.0), (60, 985.0)], noise=0.002, seed=4)  # 1.5 %, 7.5 sigma

    assert analyse(values, higher_is_better=True).change_points == ()
    finer = DetectionOptions(min_relative_change=0.01)
    assert [
        p.index for p in analyse(values, higher_is_better=True, options=finer).change_points
    ] == [60]


def test_max_p_value_bounds_the_reported_changes(track: TrackMaker) -> None:
    values = track([(30, 1000.0), (30, 960.0)], noise=0.01, seed=8)
    (change,) = analyse(values, higher_is_better=True).change_points
    assert change.p_value <= DetectionOptions().max_p_value

    stricter = DetectionOptions(max_p_value=change.p_value / 10)
    assert analyse(values, higher_is_better=True, options=stricter).change_points == ()


def test_direction_follows_whether_higher_is_better(track: TrackMaker) -> None:
    values = track([(40, 1000.0), (40, 900.0)], noise=0.01)

    (throughput_drop,) = analyse(values, higher_is_better=True).change_points
    (latency_drop,) = analyse(values, higher_is_better=False).change_points

    assert throughput_drop.direction is Direction.REGRESSION
    assert latency_drop.direction is Direction.GAIN
    assert str(Direction.GAIN) == "gain"


def test_same_input_same_answer(track: TrackMaker) -> None:
    values = track([(70, 1000.0), (70, 1100.0)], noise=0.02, seed=9, bad_nights={20: 0.3})

    first = analyse(values, higher_is_better=True)

    assert analyse(list(values), higher_is_better=True) == first
    assert analyse(tuple(values), higher_is_better=True) == first
    assert len(first.change_points) == 1


def test_results_are_frozen(track: TrackMaker) -> None:
    analysis = analyse(track([(40, 1000.0), (40, 900.0)]), higher_is_better=True)

    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.change_points[0].index = 3  # type: ignore[misc]


def test_retrospective_detector_skips_missing_values(track: TrackMaker) -> None:
    values = track([(40, 1000.0), (40, 900.0)], noise=0.01)
    with_gaps = values[:10] + [float("nan")] * 3 + values[10:]

    assert detect_change_points(values) == [40]
    assert detect_change_points(with_gaps) == [43]


@pytest.mark.parametrize("seed", range(6))
def test_serially_correlated_noise_is_not_cut_into_segments(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shocks = 0.01 * rng.standard_normal(300)
    drift = np.zeros(300)
    for night in range(1, 300):  # AR(1) noise, coefficient 0.8: slow wander, no real change
        drift[night] = 0.8 * drift[night - 1] + shocks[night]

    analysis = analyse((1000.0 * (1.0 + drift)).tolist(), higher_is_better=True)

    assert analysis.change_points == ()


def test_every_step_of_a_long_history_is_found(track: TrackMaker) -> None:
    # Steps a few runs before and after the analysis checkpoints (every 256 runs).
    steps = [250, 500, 770, 1010, 1290, 1530]
    levels = [1000.0, 920.0, 1010.0, 1100.0, 1000.0, 1080.0, 990.0]
    segments = [
        (end - start, level)
        for start, end, level in zip([0, *steps], [*steps, 1800], levels, strict=True)
    ]
    values = track(segments, noise=0.015, seed=12)

    assert near([p.index for p in analyse(values, higher_is_better=True).change_points], steps)
