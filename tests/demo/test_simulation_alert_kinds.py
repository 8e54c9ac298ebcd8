"""The simulation's planted alert-kind events are in the bodies as the ground truth states them:
latency regressions and trades, rank flips that hold and single-night ones, engine pauses."""

from __future__ import annotations

import statistics
from collections import defaultdict
from functools import cache
from typing import Any

import numpy as np
import pytest

from tests.demo.test_simulation import canonical_config
from tracker.demo.simulation import DEMO, ConfigKey, History, generate_history

NIGHTS, EVENTS = 90, 8
Points = list[tuple[float, float, float]]  # (median_intvty, tput_per_gpu, median_ttft)


@cache
def history() -> History:
    return generate_history(seed=11, nights=NIGHTS, scale=DEMO, alert_kind_events=EVENTS)


@cache
def sweeps() -> dict[ConfigKey, dict[int, Points]]:
    found: dict[ConfigKey, dict[int, Points]] = defaultdict(lambda: defaultdict(list))
    for night in history().nights:
        for body in night.submissions:
            for row in body["results"]:
                key = ConfigKey.from_config(canonical_config(row))
                point = (row["median_intvty"], row["tput_per_gpu"], row["median_ttft"])
                found[key][night.index].append(point)
    return found


def at(points: Points, interactivity: float, column: int) -> float | None:
    ordered = sorted(points)
    xs = [p[0] for p in ordered]
    if not xs[0] <= interactivity <= xs[-1]:
        return None
    return float(np.interp(interactivity, xs, [p[column] for p in ordered]))


def mean_at(key: ConfigKey, nights: range, interactivity: float, column: int) -> float:
    values = [
        value
        for night in nights
        if night in sweeps()[key] and (value := at(sweeps()[key][night], interactivity, column))
    ]
    assert values, (key.label, nights)
    return statistics.fmean(values)


def middle_interactivity(key: ConfigKey, night: int) -> float:
    ran = max(n for n in sweeps()[key] if n < night)
    points = sorted(sweeps()[key][ran])
    return points[len(points) // 2][0]


def test_latency_events_raise_ttft_by_their_factor_and_trades_gain_throughput_on_that_commit() -> (
    None
):
    events = history().latency_changes
    assert len(events) == EVENTS
    assert sum(event.throughput_change > 0 for event in events) == EVENTS // 2
    for event in events:
        x = middle_interactivity(event.config, event.night)
        before = mean_at(event.config, range(event.night - 3, event.night), x, 2)
        after = mean_at(event.config, range(event.night, event.night + 3), x, 2)
        assert after / before == pytest.approx(1 + event.ttft_change, rel=0.03), event
        gains = [
            change
            for change in history().true_changes
            if change.night == event.night and event.config in change.configs
        ]
        if event.throughput_change:
            (gain,) = gains
            assert (gain.kind, gain.commit) == ("trade-gain", event.commit)
            assert gain.relative_change == event.throughput_change
        else:
            assert not gains


def leader_value(configs: Any, nights: range, x: float) -> float:
    values = [v for key in configs if (v := _maybe_mean(key, nights, x)) is not None]
    return max(values)


def _maybe_mean(key: ConfigKey, nights: range, x: float) -> float | None:
    try:
        return mean_at(key, nights, x, 1)
    except AssertionError:
        return None


def test_rank_flips_overtake_the_leader_and_single_night_ones_only_for_their_night() -> None:
    flips = history().rank_flips
    held = [flip for flip in flips if flip.holds]
    assert len(held) == EVENTS
    assert len(flips) - len(held) == EVENTS // 3
    for flip in flips:
        new, x = flip.new_config, flip.target
        rival = "framework" if flip.mode == "engines" else "hardware"
        shared = "hardware" if flip.mode == "engines" else "framework"
        assert getattr(new, rival) == flip.new_leader != flip.old_leader
        for key in flip.old_configs:
            assert getattr(key, rival) == flip.old_leader
            assert (getattr(key, shared), key.model, key.isl) == (
                getattr(new, shared),
                new.model,
                new.isl,
            )
        before, during = range(flip.night - 3, flip.night), range(flip.night, flip.night + 1)
        after = range(flip.night + 1, flip.night + 4)
        assert mean_at(new, before, x, 1) < leader_value(flip.old_configs, before, x)
        assert mean_at(new, during, x, 1) > leader_value(flip.old_configs, during, x)
        ahead_after = mean_at(new, after, x, 1) > leader_value(flip.old_configs, after, x)
        assert ahead_after is flip.holds, flip


def test_an_engine_pause_posts_nothing_for_its_nights() -> None:
    pauses = history().engine_pauses
    assert pauses
    for pause in pauses:
        posted = {plan.engine.name for plan in history().nights[pause.night].planned}
        assert pause.engine not in posted
