"""The nightly path: a persisted state plus the appended runs gives the full answer."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from tracker.detection import (
    DetectionOptions,
    InvalidState,
    TrackState,
    analyse,
    analyse_incremental,
)

TrackMaker = Callable[..., list[float]]  # the `track` fixture of conftest.py
HistoryMaker = Callable[[int, int], list[float]]  # the `history` fixture


def stored(state: TrackState) -> TrackState:
    """What a worker reads back from its JSON column."""
    return TrackState.from_dict(json.loads(json.dumps(state.to_dict())))


@pytest.mark.parametrize("seed", range(8))
def test_nightly_answers_equal_the_full_analysis(seed: int, history: HistoryMaker) -> None:
    rng = np.random.default_rng(seed)
    values = history(seed, int(rng.integers(200, 1400)))
    state: TrackState | None = None
    runs = int(rng.integers(1, 30))
    compared = 0
    while runs <= len(values):
        nightly, new_state = analyse_incremental(
            values[:runs], previous=state, higher_is_better=True
        )
        state = stored(new_state)
        if compared % 5 == 0 or runs > len(values) - 3:
            assert nightly == analyse(values[:runs], higher_is_better=True), runs
        compared += 1
        runs += int(rng.choice([1, 1, 1, 2, 5, 40, 257]))
    assert state is not None


def test_a_long_track_settles_its_old_changes(history: HistoryMaker) -> None:
    values = history(3, 1600)
    full = analyse(values, higher_is_better=True)
    _analysis, state = analyse_incremental(values, previous=None, higher_is_better=True)

    assert 0 < state.window_start < state.checkpoint <= len(values)
    assert state.settled_change_points == tuple(
        p for p in full.change_points if p.index < state.window_start
    )
    assert len(state.settled_change_points) >= 1


def test_state_round_trips_through_json(track: TrackMaker) -> None:
    values = track([(300, 1000.0), (300, 900.0)], noise=0.02, bad_nights={100: 0.3})
    _analysis, state = analyse_incremental(values, previous=None, higher_is_better=True)

    text = json.dumps(state.to_dict())

    assert TrackState.from_dict(json.loads(text)) == state


def test_a_rewritten_history_is_analysed_afresh(track: TrackMaker) -> None:
    values = track([(400, 1000.0), (200, 1100.0)], noise=0.01, seed=1)
    _analysis, state = analyse_incremental(values, previous=None, higher_is_better=True)
    backfilled = values[:50] + [800.0] * 30 + values[80:] + [1100.0]

    nightly, _state = analyse_incremental(backfilled, previous=state, higher_is_better=True)

    assert nightly == analyse(backfilled, higher_is_better=True)
    assert [p.index for p in nightly.change_points][:2] == [50, 80]


def test_a_state_made_with_other_options_is_not_reused(track: TrackMaker) -> None:
    values = track([(300, 1000.0), (10, 970.0)], noise=0.005, seed=4)
    _analysis, state = analyse_incremental(values[:305], previous=None, higher_is_better=True)
    options = DetectionOptions(min_relative_change=0.05)

    nightly, new_state = analyse_incremental(
        values, previous=state, higher_is_better=True, options=options
    )

    assert nightly == analyse(values, higher_is_better=True, options=options)
    assert nightly.change_points == ()
    assert new_state.options == options


@pytest.mark.parametrize(
    "broken",
    [{}, {"version": 1}, {"version": "x", "options": {}}],
)
def test_an_unreadable_state_is_an_error(broken: dict[str, object]) -> None:
    with pytest.raises(InvalidState):
        TrackState.from_dict(broken)
