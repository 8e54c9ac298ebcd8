"""Synthetic nightly tracks: throughput around 1,000 with multiplicative noise."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

TrackMaker = Callable[..., list[float]]


def make_track(
    segments: Sequence[tuple[int, float]],
    *,
    noise: float = 0.01,
    seed: int = 0,
    bad_nights: dict[int, float] | None = None,
) -> list[float]:
    """Runs of `segments` [(runs, level), ...] with `noise` relative sigma.

    `bad_nights` maps a run index to its relative shortfall (0.3 = the run came in 30 % low).
    """
    rng = np.random.default_rng(seed)
    level = np.concatenate([np.full(runs, value) for runs, value in segments])
    values = level * (1.0 + noise * rng.standard_normal(level.size))
    for index, shortfall in (bad_nights or {}).items():
        values[index] = level[index] * (1.0 - shortfall)
    return [float(v) for v in values]


def make_history(seed: int, runs: int) -> list[float]:
    """A nightly history: 1-3 % noise, a 3-25 % step every ~120 runs, 1 % bad nights."""
    rng = np.random.default_rng(seed)
    level = np.ones(runs)
    for start in np.flatnonzero(rng.random(runs) < 1 / 120):
        level[start:] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.03, 0.25)
    values = 1000 * level * (1 + rng.uniform(0.01, 0.03) * rng.standard_normal(runs))
    bad = rng.random(runs) < 0.01
    values[bad] *= 1 - rng.uniform(0.15, 0.40, bad.sum())
    return [float(v) for v in values]


@pytest.fixture
def track() -> TrackMaker:
    return make_track


@pytest.fixture
def history() -> Callable[[int, int], list[float]]:
    return make_history
