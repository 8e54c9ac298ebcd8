"""How a run at one commit reads against the levels before and after a change.

Each track the alert moved has a level before and after its change and a noise scale, all on the
log scale (throughput noise is multiplicative). A run's value on a track gives the log-likelihood
ratio of "before-like" against "after-like" under Gaussian noise,
((ln v - ln after)^2 - (ln v - ln before)^2) / (2 sigma^2). The tracks of one config share their
night's noise, so a config counts once: its tracks' ratios are averaged, and configs are summed.
The run is before-like or after-like when the summed ratio passes ln(19) either way (19 to 1, a
5 % chance of a wrong call at even odds), and inconclusive otherwise — also when the run is far
from both levels (a bad night, not a verdict).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracker.vocabulary import Metric, Verdict

DECISIVE_LOG_RATIO = math.log(19.0)
FAR_FROM_BOTH_SIGMAS = 5.0
"""A config whose run is this many noise sigmas from both levels judges nothing."""

TrackKey = tuple[int, Metric, float]  # config id, metric, target interactivity


@dataclass(frozen=True)
class TrackLevels:
    """What judges a run on one track: its levels around the change and its noise (relative)."""

    config_id: int
    metric: Metric
    interactivity: float
    before: float
    after: float
    sigma: float

    @property
    def key(self) -> TrackKey:
        return (self.config_id, self.metric, self.interactivity)


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    log_ratio: float
    """Summed over configs; positive favours before-like."""
    configs: int
    """Configs the run had a value for."""


def read_run(tracks: Sequence[TrackLevels], values: Mapping[TrackKey, float]) -> Reading:
    """The verdict of a run whose frontier values are ``values`` (tracks without one are left
    out; a run with none is inconclusive)."""
    by_config: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for track in tracks:
        value = values.get(track.key)
        if value is None or value <= 0 or track.sigma <= 0:
            continue
        from_before = (math.log(value) - math.log(track.before)) / track.sigma
        from_after = (math.log(value) - math.log(track.after)) / track.sigma
        by_config[track.config_id].append((from_before, from_after))
    log_ratio = 0.0
    judged = 0
    for distances in by_config.values():
        if all(min(abs(b), abs(a)) > FAR_FROM_BOTH_SIGMAS for b, a in distances):
            continue
        log_ratio += statistics.fmean((a * a - b * b) / 2.0 for b, a in distances)
        judged += 1
    return Reading(verdict=verdict_of(log_ratio), log_ratio=log_ratio, configs=judged)


def verdict_of(log_ratio: float) -> Verdict:
    """Before-like or after-like when the evidence passes ln 19 either way, else unclear."""
    if log_ratio >= DECISIVE_LOG_RATIO:
        return Verdict.BEFORE
    if log_ratio <= -DECISIVE_LOG_RATIO:
        return Verdict.AFTER
    return Verdict.INCONCLUSIVE
