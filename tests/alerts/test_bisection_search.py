"""Bisection's pure parts: halving the range, and reading a run against the levels."""

from __future__ import annotations

import math

import pytest

from alerts.bisection.evidence import TrackLevels, read_run
from alerts.bisection.search import SearchRange
from tracker.vocabulary import Metric, Verdict


def test_halving_forty_commits_names_any_culprit_in_six_runs() -> None:
    for culprit in range(40):
        search, runs = SearchRange(good=-1, bad=39), 0
        while (index := search.next_commit()) is not None:
            search = search.judged(index, Verdict.AFTER if index >= culprit else Verdict.BEFORE)
            runs += 1
        assert search.bad == culprit
        assert runs <= 6


def test_an_inconclusive_run_leaves_the_range_as_it_was() -> None:
    search = SearchRange(good=-1, bad=9)
    assert search.judged(4, Verdict.INCONCLUSIVE) == search
    with pytest.raises(ValueError, match="outside"):
        search.judged(9, Verdict.AFTER)


def tracks(config_ids: range) -> list[TrackLevels]:
    """Three targets per config, a 10 % drop, 1 % noise."""
    return [
        TrackLevels(config_id, Metric.TPUT_PER_GPU, target, 100.0, 90.0, 0.01)
        for config_id in config_ids
        for target in (20.0, 35.0, 50.0)
    ]


def test_runs_near_a_level_read_as_that_level_and_between_them_as_unclear() -> None:
    judging = tracks(range(2))

    def at(level: float) -> Verdict:
        return read_run(judging, {track.key: level for track in judging}).verdict

    assert at(100.4) is Verdict.BEFORE
    assert at(89.7) is Verdict.AFTER
    assert at(95.0) is Verdict.INCONCLUSIVE
    assert at(60.0) is Verdict.INCONCLUSIVE  # far from both: a bad run, not a verdict
    assert read_run(judging, {}).verdict is Verdict.INCONCLUSIVE


def test_a_configs_tracks_count_as_one_piece_of_evidence() -> None:
    (one_config,) = [tracks(range(1))]
    reading = read_run(one_config, {track.key: 99.0 for track in one_config})
    per_track = ((math.log(99 / 90) / 0.01) ** 2 - (math.log(99 / 100) / 0.01) ** 2) / 2
    assert reading.log_ratio == pytest.approx(per_track)
    assert reading.configs == 1
