"""Inputs that are not a track, and degenerate tracks."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tracker.detection import (
    DetectionOptions,
    InvalidOptions,
    InvalidTrack,
    TrackAnalysis,
    analyse,
)

NOTHING = TrackAnalysis(change_points=(), suspected=(), outliers=())

TrackMaker = Callable[..., list[float]]  # the `track` fixture of conftest.py


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(bad: float) -> None:
    with pytest.raises(InvalidTrack):
        analyse([1000.0, bad, 1000.0], higher_is_better=True)


def test_timestamps_must_match_the_values_and_be_ordered() -> None:
    with pytest.raises(InvalidTrack):
        analyse([1.0, 2.0, 3.0], higher_is_better=True, timestamps=[1.0, 2.0])
    with pytest.raises(InvalidTrack):
        analyse([1.0, 2.0, 3.0], higher_is_better=True, timestamps=[1.0, 3.0, 2.0])


@pytest.mark.parametrize(
    "options",
    [
        {"confirm_runs": -1},
        {"min_relative_change": -0.01},
        {"min_relative_change": math.nan},
        {"max_p_value": 0.0},
        {"max_p_value": 1.5},
    ],
)
def test_options_out_of_range_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(InvalidOptions):
        DetectionOptions(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("values", [[], [1000.0], [1000.0, 700.0], [5.0] * 50])
def test_short_and_constant_tracks_have_nothing_to_report(values: list[float]) -> None:
    assert analyse(values, higher_is_better=True) == NOTHING


def test_values_around_zero_are_analysed_on_their_own_scale(track: TrackMaker) -> None:
    values = [v - 1000.0 for v in track([(50, 1000.0), (50, 1010.0)], noise=0.001)]

    (change,) = analyse(values, higher_is_better=True).change_points

    assert change.index == 50
    assert change.after - change.before == pytest.approx(10.0, abs=1.0)
    assert change.relative_change == pytest.approx(
        (change.after - change.before) / abs(change.before)
    )
