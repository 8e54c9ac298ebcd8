"""The flip rule on daily bests (`alerts.rank.find_flips`), over many simulated pairs: level
competitors that trade places on noise are no news; a real overtake is, within days."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from alerts.rank import find_flips
from alerts.rank_standings import TPUT, Days

FIRST_DAY = date(2026, 1, 1)
PAIRS = 200
DAYS = 120


def pair_days(
    seed: int, *, behind: float = 0.0, overtake_on: int | None = None, step: float = 0.0
) -> Days:
    """Two competitors' daily bests with 2 % noise each; `b` is `behind` below `a` and steps up by
    `step` from day `overtake_on`."""
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0.0, 0.02, DAYS))
    b = np.exp(rng.normal(0.0, 0.02, DAYS)) * (1.0 - behind)
    if overtake_on is not None:
        b[overtake_on:] *= 1.0 + step
    return {
        (FIRST_DAY + timedelta(days=i)).isoformat(): {"a": float(a[i]), "b": float(b[i])}
        for i in range(DAYS)
    }


def test_level_competitors_trading_places_on_noise_are_almost_never_a_flip() -> None:
    """Over 120 days a level pair leads by turns; before a flip needed a change of the pair's
    ratio that detection finds, 129 of these 200 pairs made a flip alert."""
    flipped = sum(
        bool(find_flips(pair_days(seed), ranking=TPUT, confirm_runs=3)) for seed in range(PAIRS)
    )
    assert flipped <= PAIRS * 0.05


def test_a_real_leader_overtaken_for_good_is_a_flip_within_days() -> None:
    found = 0
    for seed in range(PAIRS):
        flips = find_flips(
            pair_days(seed, behind=0.03, overtake_on=60, step=0.10), ranking=TPUT, confirm_runs=3
        )
        found += any(
            new == "b" and old == "a" and abs((first - FIRST_DAY).days - 60) <= 3
            for first, _, new, old, _ in flips
        )
    assert found >= PAIRS * 0.95
