"""The ground-truth scenario: which configs change on which night, bad nights and missing runs.

Everything here works on config indices and night indices; `history.py` turns the result into the
public ground-truth records. Rules that keep the truth unambiguous for a detector replay:
changes of one config are at least `MIN_CHANGE_GAP_NIGHTS` apart and away from both ends of the
history; outlier nights and missing runs never fall on or next to a change night of the configs
they touch.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tracker.demo.simulation.catalogue import ENGINES
from tracker.demo.simulation.configs import ConfigSpec
from tracker.demo.simulation.rows import Fleet, frontier_throughput

ChangeKind = Literal[
    "engine-wide",
    "single-config",
    "campaign-step",
    "regression",
    "fix",
    "drift-step",
    "rank-step",
    "trade-gain",
]

MIN_CHANGE_GAP_NIGHTS = 6
FIX_DELAY_NIGHTS = 7
CAMPAIGN_TOTAL_GAIN = 0.21
QUIET_SHARE = 0.4  # of the configs an engine-wide event left untouched
NIGHT_NOISE_RANGE = (0.01, 0.03)  # relative standard deviation of a config's nightly level
DRIFT_STEPS = 4
DRIFT_STEP_SPACING_NIGHTS = 7
DRIFT_STEP_RANGE = (0.016, 0.02)  # each step's regression: below the drift threshold alone
STALE_NIGHTS_RANGE = (5, 10)  # nights a stale event's configs stay away before they return
RANK_TARGETS = (20.0, 35.0, 50.0, 75.0, 100.0)  # interactivities a planted flip happens at
RANK_LEAD_GAP = (1.03, 1.3)  # a planted flip's leader is this far ahead of the runner-up
RANK_MARGIN_RANGE = (0.05, 0.12)  # how far the new leader ends ahead (or the old one below)
RANK_HOLD_NIGHTS = 10  # neither engine's configs change this long after a flip that holds
TTFT_RISE_RANGE = (0.10, 0.45)  # a planted latency regression: median and p99 TTFT this much up
TRADE_GAIN_RANGE = (0.04, 0.08)  # the throughput a trade gains on the same commit


@dataclass(frozen=True)
class StaleEvent:
    """Configs of one engine that stop reporting from `night` while the engine goes on, and
    report again from `returns_night` (None: never within the history)."""

    night: int
    returns_night: int | None
    engine: str
    config_indices: tuple[int, ...]


@dataclass(frozen=True)
class DriftEvent:
    """One config sliding in `DRIFT_STEPS` regressions each below the drift threshold, a week
    apart, from `night` on."""

    night: int
    engine: str
    config_index: int
    relative_changes: tuple[float, ...]


@dataclass(frozen=True)
class RankEvent:
    """At `target` interactivity on one slice (`mode` engines: model, precision, ISL/OSL, GPU;
    gpus: the same with an engine instead of a GPU), another competitor's config `new_index`
    overtakes the leader's configs `old_indices`: from `night` on by a throughput step (`holds`),
    or on that night only, the leader's bad night (not `holds`)."""

    night: int
    mode: str
    target: float
    holds: bool
    new_index: int
    old_leader: str
    old_indices: tuple[int, ...]


@dataclass(frozen=True)
class LatencyEvent:
    """From `night` on, one config's time to first token rises by `ttft_change`; a trade when
    the same commit gains `throughput_change` (0: the latency regression alone)."""

    night: int
    engine: str
    config_index: int
    ttft_change: float
    throughput_change: float


@dataclass(frozen=True)
class PlannedChange:
    """A step in the throughput level of some configs, from `night` on."""

    night: int
    engine: str
    config_indices: tuple[int, ...]
    relative_change: float
    kind: ChangeKind
    description: str


@dataclass(frozen=True, eq=False)
class Scenario:
    """Levels, presence and events of every config on every night."""

    true_level: np.ndarray  # (configs, nights): product of the changes so far
    observed_level: np.ndarray  # true level × nightly noise × outlier factor
    present: np.ndarray  # (configs, nights) bool: the config's rows are in the night's run
    engine_present: dict[str, np.ndarray]  # engine → (nights,) bool: the engine ran that night
    release_index: dict[str, np.ndarray]  # engine → (nights,) releases shipped so far
    changes: list[PlannedChange]
    outliers: list[tuple[int, int, float]]  # (night, config index, factor)
    missing_engine_nights: list[tuple[int, str]]
    missing_config_nights: list[tuple[int, int]]
    quiet: list[int]  # config indices that never change
    stale_events: list[StaleEvent]
    drift_events: list[DriftEvent]
    ttft_level: np.ndarray  # (configs, nights): product of the latency changes so far
    rank_events: list[RankEvent]
    latency_events: list[LatencyEvent]


class _Planner:
    """Places events under the spacing rules, remembering what each config already has."""

    def __init__(self, configs: Sequence[ConfigSpec], nights: int, rng: np.random.Generator):
        self.configs = configs
        self.nights = nights
        self.rng = rng
        self.edge = max(5, nights // 12)
        self.by_engine: dict[str, list[int]] = {engine.name: [] for engine in ENGINES}
        for index, spec in enumerate(configs):
            self.by_engine[spec.engine.name].append(index)
        self.change_nights: list[list[int]] = [[] for _ in configs]
        self.changes: list[PlannedChange] = []
        self.disturbed: list[set[int]] = [set() for _ in configs]  # outlier or missing nights

    # ---- changes -------------------------------------------------------------------------
    def is_free(self, indices: Sequence[int], night: int) -> bool:
        return all(
            abs(other - night) >= MIN_CHANGE_GAP_NIGHTS
            for index in indices
            for other in self.change_nights[index]
        )

    def pick_night(self, indices: Sequence[int], lo: int, hi: int, span: int = 0) -> int | None:
        """A random night in [lo, hi) where `night` and `night + span` are free for all."""
        nights = [
            night
            for night in range(lo, hi)
            if self.is_free(indices, night) and self.is_free(indices, night + span)
        ]
        return int(self.rng.choice(nights)) if nights else None

    def add_change(
        self,
        night: int,
        indices: Sequence[int],
        relative_change: float,
        kind: ChangeKind,
        description: str,
    ) -> None:
        engine = self.configs[indices[0]].engine.name
        for index in indices:
            self.change_nights[index].append(night)
        self.changes.append(
            PlannedChange(night, engine, tuple(indices), relative_change, kind, description)
        )

    def plan_campaign(self) -> None:
        """dynamo-trt on GB200 wide-EP: +21 % over about a month, in 3–4 steps."""
        engine = self.by_engine["dynamo-trt"]
        targets = [i for i in engine if self.configs[i].gpu.name == "gb200"]
        targets = [i for i in targets if self.configs[i].topology.wide_ep] or targets or engine
        if not targets:
            return
        steps = 4 if self.nights >= 60 else 3
        spacing = 8 if self.nights >= 120 else 7
        lo, hi = self.edge, self.nights - self.edge - spacing * (steps - 1)
        start = self.pick_night(targets, lo, max(lo + 1, hi))
        if start is None:
            return
        weights = self.rng.uniform(0.7, 1.3, size=steps)
        log_steps = math.log1p(CAMPAIGN_TOTAL_GAIN) * weights / weights.sum()
        for step, log_step in enumerate(log_steps):
            self.add_change(
                start + step * spacing,
                targets,
                math.expm1(float(log_step)),
                "campaign-step",
                f"dynamo-trt: GB200 wide-EP tuning, step {step + 1} of {steps} "
                f"(+{CAMPAIGN_TOTAL_GAIN:.0%} over the month)",
            )

    def engine_groups(self, engine: str) -> list[tuple[str, list[int]]]:
        """Families of an engine's configs an engine-wide change can hit, with a description."""
        indices = self.by_engine[engine]
        groups: dict[str, list[int]] = {}
        for index in indices:
            spec = self.configs[index]
            vendor = spec.gpu.vendor.upper() if spec.gpu.vendor == "amd" else "NVIDIA"
            for name in (
                f"{spec.precision} on {spec.gpu.name}",
                f"configs on {spec.gpu.name}",
                f"{spec.precision} on {vendor}",
                f"{spec.model.prefix} configs",
            ):
                groups.setdefault(name, []).append(index)
        largest = max(2, int(0.6 * len(indices)))
        return [(name, members) for name, members in groups.items() if 2 <= len(members) <= largest]

    def plan_engine_wide(self, engine: str) -> None:
        groups = self.engine_groups(engine)
        for position in self.rng.permutation(len(groups)):
            name, members = groups[int(position)]
            night = self.pick_night(members, self.edge, self.nights - self.edge)
            if night is None:
                continue
            magnitude = float(self.rng.uniform(0.05, 0.14))
            relative = -magnitude if self.rng.random() < 0.6 else magnitude
            self.add_change(
                night, members, relative, "engine-wide", f"{engine}: all {name} {relative:+.0%}"
            )
            return

    def plan_regression_and_fix(self, engine: str, pool: list[int]) -> None:
        for position in self.rng.permutation(len(pool)):
            index = pool[int(position)]
            lo, hi = self.edge, self.nights - self.edge - FIX_DELAY_NIGHTS
            night = self.pick_night([index], lo, hi, span=FIX_DELAY_NIGHTS)
            if night is None:
                continue
            drop = float(self.rng.uniform(0.08, 0.2))
            label = self.configs[index].key.label
            self.add_change(night, [index], -drop, "regression", f"{engine}: {label} {-drop:+.0%}")
            self.add_change(
                night + FIX_DELAY_NIGHTS,
                [index],
                1.0 / (1.0 - drop) - 1.0,
                "fix",
                f"{engine}: fix for the regression of night {night} on {label}",
            )
            return

    def plan_single_changes(self, engine: str, pool: list[int], count: int) -> None:
        order = sorted(
            (int(i) for i in self.rng.permutation(len(pool))),
            key=lambda position: len(self.change_nights[pool[position]]),
        )
        for position in order[:count]:
            index = pool[position]
            night = self.pick_night([index], self.edge, self.nights - self.edge)
            if night is None:
                continue
            magnitude = 0.03 + 0.22 * float(self.rng.random()) ** 1.5
            relative = magnitude if self.rng.random() < 0.5 else -magnitude
            label = self.configs[index].key.label
            self.add_change(
                night, [index], relative, "single-config", f"{engine}: {label} {relative:+.0%}"
            )

    # ---- disturbances ----------------------------------------------------------------------
    def is_calm(self, indices: Sequence[int], night: int) -> bool:
        """No change within one night and no other disturbance on this night."""
        return (
            0 <= night < self.nights
            and all(
                abs(other - night) > 1 for index in indices for other in self.change_nights[index]
            )
            and all(night not in self.disturbed[index] for index in indices)
        )

    def calm_night(self, indices: Sequence[int], length: int = 1) -> int | None:
        nights = [
            night
            for night in range(1, self.nights - length)
            if all(self.is_calm(indices, night + offset) for offset in range(length))
        ]
        return int(self.rng.choice(nights)) if nights else None


def plan_scenario(
    *,
    configs: Sequence[ConfigSpec],
    nights: int,
    rng: np.random.Generator,
    alert_kind_events: int = 0,
    fleet: Fleet | None = None,
) -> Scenario:
    """Draw the whole scenario: changes, quiet configs, noise, bad nights and missing runs; with
    `alert_kind_events`, that many stale, drift, held rank-flip and latency events besides, a
    third as many single-night rank flips, and engine pauses (the same generator draws them, so
    the nightly noise differs from a history without them). Rank flips need the `fleet`'s
    curves; without it none are planted."""
    planner = _Planner(configs, nights, rng)
    engines = [engine.name for engine in ENGINES if planner.by_engine[engine.name]]
    planner.plan_campaign()
    for engine in engines:
        for _ in range(max(1, nights // 90)):
            planner.plan_engine_wide(engine)

    # Reserve some of what the engine-wide events left alone, so that quiet configs exist.
    reserved: set[int] = set()
    for engine in engines:
        untouched = [i for i in planner.by_engine[engine] if not planner.change_nights[i]]
        quiet_count = round(QUIET_SHARE * len(untouched)) if len(untouched) >= 2 else 0
        reserved |= {int(i) for i in rng.choice(untouched, size=quiet_count, replace=False)}
    if not reserved:
        # Tiny fleets: keep at least one config quiet, from the engine with most to spare.
        untouched_by_engine = [
            [i for i in planner.by_engine[engine] if not planner.change_nights[i]]
            for engine in engines
        ]
        spare = max(untouched_by_engine, key=len)
        if spare:
            reserved.add(spare[int(rng.integers(len(spare)))])

    regression_engines = rng.permutation(engines)[: max(2, len(engines) // 2)]
    for engine in engines:
        pool = [i for i in planner.by_engine[engine] if i not in reserved]
        if not pool:
            continue
        if engine in regression_engines:
            planner.plan_regression_and_fix(engine, pool)
        count = max(1, round(len(planner.by_engine[engine]) / 5))
        planner.plan_single_changes(engine, pool, count)

    drift_events = _plan_drift(planner, alert_kind_events, reserved) if alert_kind_events else []
    true_level = np.ones((len(configs), nights))
    for change in planner.changes:
        true_level[list(change.config_indices), change.night :] *= 1.0 + change.relative_change

    noise_sigma = rng.uniform(*NIGHT_NOISE_RANGE, size=(len(configs), 1))
    # Truncated at 2.5 σ: anything further off is a bad night, and those are listed as outliers.
    night_noise = np.clip(rng.normal(0.0, 1.0, size=true_level.shape), -2.5, 2.5) * noise_sigma
    observed_level = true_level * np.exp(night_noise)
    outliers = _plan_outliers(planner, engines)
    for night, index, factor in outliers:
        observed_level[index, night] *= factor
    present = np.ones((len(configs), nights), dtype=bool)
    missing_engine_nights, missing_config_nights = _plan_missing(planner, engines)
    ttft_level = np.ones((len(configs), nights))
    kinds = _AlertKindEvents()
    if alert_kind_events:
        levels = (true_level, observed_level, ttft_level)
        kinds = _plan_alert_kind_events(
            planner, engines, fleet, levels, alert_kind_events, reserved
        )
    missing_engine_nights += kinds.engine_pauses
    outliers += kinds.bad_nights
    engine_present = {engine: np.ones(nights, dtype=bool) for engine in engines}
    for night, engine in missing_engine_nights:
        engine_present[engine][night] = False
    stale_events = kinds.stale_events
    for event in stale_events:
        last = nights if event.returns_night is None else event.returns_night
        missing_config_nights += [
            (n, i) for i in event.config_indices for n in range(event.night, last)
        ]
    for night, index in missing_config_nights:
        present[index, night] = False

    release_index: dict[str, np.ndarray] = {}
    for engine in engines:
        shipped = np.zeros(nights, dtype=int)
        for night in sorted({c.night for c in planner.changes if c.engine == engine}):
            shipped[night:] += 1
        release_index[engine] = shipped
    return Scenario(
        true_level=true_level,
        observed_level=observed_level,
        present=present,
        engine_present=engine_present,
        release_index=release_index,
        changes=sorted(planner.changes, key=lambda change: (change.night, change.engine)),
        outliers=sorted(outliers),
        missing_engine_nights=sorted(missing_engine_nights),
        missing_config_nights=sorted(missing_config_nights),
        quiet=[index for index, nights_ in enumerate(planner.change_nights) if not nights_],
        stale_events=stale_events,
        drift_events=drift_events,
        ttft_level=ttft_level,
        rank_events=kinds.rank_events,
        latency_events=kinds.latency_events,
    )


@dataclass
class _AlertKindEvents:
    """What `alert_kind_events` plants besides the drift slides."""

    stale_events: list[StaleEvent] = field(default_factory=list)
    engine_pauses: list[tuple[int, str]] = field(default_factory=list)
    rank_events: list[RankEvent] = field(default_factory=list)
    bad_nights: list[tuple[int, int, float]] = field(default_factory=list)  # single-night flips
    latency_events: list[LatencyEvent] = field(default_factory=list)


def _plan_alert_kind_events(
    planner: _Planner,
    engines: list[str],
    fleet: Fleet | None,
    levels: tuple[np.ndarray, np.ndarray, np.ndarray],
    count: int,
    reserved: set[int],
) -> _AlertKindEvents:
    """Stale configs, engine pauses, rank flips (with the fleet's curves) and latency changes,
    drawn in this order; `levels` (true, observed, TTFT) take the planted steps."""
    true_level, observed_level, ttft_level = levels
    events = _AlertKindEvents(
        stale_events=_plan_stale(planner, engines, count),
        engine_pauses=_plan_engine_pauses(planner, engines),
    )
    if fleet is not None:
        events.rank_events, events.bad_nights = _plan_rank(
            planner, fleet, (true_level, observed_level), count
        )
    # A trade's gain on a config of a flip would move that flip's levels after it was planted.
    flipped = {i for event in events.rank_events for i in (event.new_index, *event.old_indices)}
    events.latency_events = _plan_latency(
        planner, (true_level, observed_level), ttft_level, count, reserved | flipped
    )
    return events


def _bad_factor(rng: np.random.Generator) -> float:
    """A bad night's throughput relative to normal: 15–40 % low."""
    return 1.0 - float(rng.uniform(0.15, 0.40))


def _plan_outliers(planner: _Planner, engines: list[str]) -> list[tuple[int, int, float]]:
    rng, outliers = planner.rng, []
    for engine in engines:
        members = planner.by_engine[engine]
        for _ in range(max(1, planner.nights // 60)):
            index = members[int(rng.integers(len(members)))]
            length = 2 if rng.random() < 0.25 else 1
            night = planner.calm_night([index], length)
            if night is None:
                continue
            factor = _bad_factor(rng)
            for offset in range(length):
                outliers.append((night + offset, index, factor))
                planner.disturbed[index].add(night + offset)
    for event in range(max(1, planner.nights // 45)):
        engine = engines[int(rng.integers(len(engines)))]
        members = planner.by_engine[engine]
        length = 2 if event == 1 else 1
        night = planner.calm_night(members, length)
        if night is None:
            continue
        factor = _bad_factor(rng)
        for offset in range(length):
            for index in members:
                outliers.append((night + offset, index, factor))
                planner.disturbed[index].add(night + offset)
    return outliers


def _plan_missing(
    planner: _Planner, engines: list[str]
) -> tuple[list[tuple[int, str]], list[tuple[int, int]]]:
    rng = planner.rng
    engine_nights: list[tuple[int, str]] = []
    for _ in range(max(1, planner.nights // 40)):
        engine = engines[int(rng.integers(len(engines)))]
        members = planner.by_engine[engine]
        night = planner.calm_night(members)
        if night is None:
            continue
        engine_nights.append((night, engine))
        for index in members:
            planner.disturbed[index].add(night)
    config_nights: list[tuple[int, int]] = []
    for _ in range(max(1, planner.nights // 45)):
        index = int(rng.integers(len(planner.configs)))
        length = int(rng.integers(2, 5))
        night = planner.calm_night([index], length)
        if night is None:
            continue
        for offset in range(length):
            config_nights.append((night + offset, index))
            planner.disturbed[index].add(night + offset)
    return engine_nights, config_nights


def _plan_drift(planner: _Planner, count: int, reserved: set[int]) -> list[DriftEvent]:
    """`count` configs (never a quiet one) that slide in small regressions a week apart."""
    rng = planner.rng
    events: list[DriftEvent] = []
    span = DRIFT_STEPS * DRIFT_STEP_SPACING_NIGHTS
    candidates = [i for i in range(len(planner.configs)) if i not in reserved]
    for position in rng.permutation(len(candidates)):
        if len(events) == count:
            break
        index = candidates[int(position)]
        nights = [
            night
            for night in range(planner.edge, planner.nights - planner.edge - span)
            if all(
                planner.is_free([index], night + step * DRIFT_STEP_SPACING_NIGHTS)
                for step in range(DRIFT_STEPS)
            )
            # the slide's best level stays clear of earlier changes of the config
            and all(not night - 35 <= other < night for other in planner.change_nights[index])
        ]
        if not nights:
            continue
        night = int(rng.choice(nights))
        steps = tuple(-float(rng.uniform(*DRIFT_STEP_RANGE)) for _ in range(DRIFT_STEPS))
        engine = planner.configs[index].engine.name
        label = planner.configs[index].key.label
        for step, relative in enumerate(steps):
            planner.add_change(
                night + step * DRIFT_STEP_SPACING_NIGHTS,
                [index],
                relative,
                "drift-step",
                f"{engine}: {label} slow drift, step {step + 1} of {DRIFT_STEPS} {relative:+.1%}",
            )
        events.append(DriftEvent(night, engine, index, steps))
    return sorted(events, key=lambda event: (event.night, event.config_index))


def _plan_stale(planner: _Planner, engines: list[str], count: int) -> list[StaleEvent]:
    """`count` events: one to three configs of an engine stop while its other configs go on,
    calm nights only, and come back after 5–9 nights (one in four never within the history)."""
    rng = planner.rng
    events: list[StaleEvent] = []
    attempts = 0
    while len(events) < count and attempts < 50 * count:
        attempts += 1
        engine = engines[int(rng.integers(len(engines)))]
        members = planner.by_engine[engine]
        if len(members) < 2:
            continue
        size = int(rng.integers(1, min(3, len(members) - 1) + 1))
        chosen = [int(i) for i in rng.choice(members, size=size, replace=False)]
        length = int(rng.integers(*STALE_NIGHTS_RANGE))
        never_back = rng.random() < 0.25
        lo = planner.edge
        hi = planner.nights - (4 if never_back else length + 4)
        if hi <= lo:
            continue
        night = int(rng.integers(lo, hi))
        away = range(night - 1, planner.nights if never_back else night + length + 1)
        if not all(planner.is_calm(chosen, n) for n in away if n < planner.nights):
            continue
        for index in chosen:
            planner.disturbed[index].update(n for n in away)
        events.append(
            StaleEvent(night, None if never_back else night + length, engine, tuple(sorted(chosen)))
        )
    return sorted(events, key=lambda event: (event.night, event.engine))


ENGINE_PAUSES = 4
ENGINE_PAUSE_NIGHTS = 5


def _plan_engine_pauses(planner: _Planner, engines: list[str]) -> list[tuple[int, str]]:
    """Engines that post nothing for five nights: never stale (the engine paused entirely)."""
    rng, nights = planner.rng, []
    for _ in range(ENGINE_PAUSES):
        engine = engines[int(rng.integers(len(engines)))]
        members = planner.by_engine[engine]
        night = planner.calm_night(members, ENGINE_PAUSE_NIGHTS)
        if night is None:
            continue
        for offset in range(ENGINE_PAUSE_NIGHTS):
            nights.append((night + offset, engine))
            for index in members:
                planner.disturbed[index].add(night + offset)
    return nights


def _plan_rank(
    planner: _Planner, fleet: Fleet, levels: tuple[np.ndarray, np.ndarray], count: int
) -> tuple[list[RankEvent], list[tuple[int, int, float]]]:
    """`count` flips that hold and a third as many for one night, and the bad nights of those.

    A flip picks a slice (engines on one GPU, or GPUs under one engine, of one model,
    precision and ISL/OSL), a target and a night where the leader is 3–30 % ahead of the
    runner-up; the runner-up's best config steps up past the leader by 5–12 % and
    neither it nor the leader's configs there change for `RANK_HOLD_NIGHTS` (held), or every
    config of the leader in the slice has a bad night 5–12 % below the runner-up (single night).
    A step lasts, so the configs of a flip take no flip of an earlier night later.
    """
    rng = planner.rng
    slices: dict[tuple[object, ...], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, spec in enumerate(planner.configs):
        common = (spec.model.prefix, spec.precision, spec.isl, spec.osl)
        slices[("engines", *common, spec.gpu.name)][spec.engine.name].append(index)
        slices[("gpus", *common, spec.engine.name)][spec.gpu.name].append(index)
    contested = [(str(place[0]), rivals) for place, rivals in slices.items() if len(rivals) >= 2]
    last_flip: dict[int, int] = {}  # config → the night of its latest planted flip
    events: list[RankEvent] = []
    bad_nights: list[tuple[int, int, float]] = []
    busy: dict[int, list[int]] = defaultdict(list)  # slice → nights of its planted flips
    wanted = {True: count, False: max(1, count // 3)}
    attempts = 0
    while contested and any(wanted.values()) and attempts < 1000 * count:
        attempts += 1
        holds = wanted[True] > 0 and (wanted[False] == 0 or rng.random() < 0.75)
        position = int(rng.integers(len(contested)))
        mode, rivals = contested[position]
        target = float(RANK_TARGETS[int(rng.integers(len(RANK_TARGETS)))])
        # A step lasts: flips of one slice are planted in time order, each on the levels the
        # earlier ones left.
        lo = max([planner.edge] + [other + RANK_HOLD_NIGHTS for other in busy[position]])
        hi = planner.nights - planner.edge - RANK_HOLD_NIGHTS
        if lo >= hi:
            continue
        night = int(rng.integers(lo, min(hi, lo + 2 * RANK_HOLD_NIGHTS)))
        contest = _contest(fleet, rivals, target, levels[0][:, night])
        if contest is None:
            continue
        involved = (*contest.old_indices, contest.second_index)
        quiet_until = night + (RANK_HOLD_NIGHTS if holds else 3)
        if any(
            night - 3 <= other <= quiet_until
            for i in involved
            for other in planner.change_nights[i]
        ) or any(last_flip.get(i, -1) + RANK_HOLD_NIGHTS > night for i in involved):
            continue
        margin = float(rng.uniform(*RANK_MARGIN_RANGE))
        if holds:
            planted = _overtake(planner, fleet, levels, contest, target, night, margin)
        else:
            bad_factor = _leader_bad_night(planner, levels[1], contest, night, margin)
            bad_nights += [
                (night, index, bad_factor) for index in contest.old_indices if bad_factor
            ]
            planted = bad_factor > 0
        if not planted:
            continue
        busy[position].append(night)
        last_flip.update(dict.fromkeys(involved, night))
        wanted[holds] -= 1
        events.append(
            RankEvent(
                night,
                mode,
                target,
                holds,
                contest.second_index,
                contest.leader,
                contest.old_indices,
            )
        )
    return sorted(events, key=lambda e: (e.night, e.new_index)), bad_nights


@dataclass(frozen=True)
class _Contest:
    """The leading competitor (engine or GPU) of a slice at a target and the runner-up, by their
    best configs."""

    leader: str
    lead: float
    lead_index: int
    second: float
    second_index: int
    old_indices: tuple[int, ...]  # every config of the leader in the slice


def _contest(
    fleet: Fleet, rivals: dict[str, list[int]], target: float, level: np.ndarray
) -> _Contest | None:
    """The slice's two best competitors at `target` on a night of these true levels, when the leader
    is 3–30 % ahead (`RANK_LEAD_GAP`): clearly ahead, and not out of reach."""
    best: list[tuple[float, str, int]] = []
    for rival, indices in rivals.items():
        values = [
            (value, i)
            for i in indices
            if (value := frontier_throughput(fleet, i, target, float(level[i])))
        ]
        if values:
            value, index = max(values)
            best.append((value, rival, index))
    if len(best) < 2:
        return None
    best.sort(reverse=True)
    (lead, leader, lead_index), (second, _, second_index) = best[0], best[1]
    if not RANK_LEAD_GAP[0] <= lead / second <= RANK_LEAD_GAP[1]:
        return None
    return _Contest(leader, lead, lead_index, second, second_index, tuple(rivals[leader]))


def _overtake(
    planner: _Planner,
    fleet: Fleet,
    levels: tuple[np.ndarray, np.ndarray],
    contest: _Contest,
    target: float,
    night: int,
    margin: float,
) -> bool:
    """The runner-up's best config steps up `margin` past the leader from `night` on."""
    index = contest.second_index
    factor = contest.lead / contest.second * (1.0 + margin)
    watched = [contest.lead_index, index]
    if not all(planner.is_calm(watched, n) for n in range(night - 1, night + 5)):
        return False
    if not frontier_throughput(fleet, index, target, float(levels[0][index, night]) * factor):
        return False  # the step would carry the sweep past the target
    spec = planner.configs[index]
    planner.add_change(
        night,
        [index],
        factor - 1.0,
        "rank-step",
        f"{spec.engine.name}: {spec.key.label} {factor - 1.0:+.0%}, overtakes {contest.leader} "
        f"at {target:g} tok/s/user",
    )
    for level in levels:
        level[index, night:] *= factor
    return True


def _leader_bad_night(
    planner: _Planner, observed_level: np.ndarray, contest: _Contest, night: int, margin: float
) -> float:
    """Every config of the leader in the slice falls `margin` below the runner-up on `night`
    only; the bad night's factor, or 0 when the night is not calm."""
    old = contest.old_indices
    if not all(
        planner.is_calm([*old, contest.second_index], n) for n in range(night - 1, night + 2)
    ):
        return 0.0
    factor = contest.second / contest.lead * (1.0 - margin)
    for index in old:
        observed_level[index, night] *= factor
        planner.disturbed[index].add(night)
    return factor


def _plan_latency(
    planner: _Planner,
    levels: tuple[np.ndarray, np.ndarray],
    ttft_level: np.ndarray,
    count: int,
    reserved: set[int],
) -> list[LatencyEvent]:
    """`count` latency regressions (TTFT +10–45 %), every second one a trade (throughput +4–8 % on
    the same night, so the same commit). Only configs whose prompt is no longer than their
    output: there the first token is a small share of a request, so the latency alone barely
    moves throughput at a fixed interactivity (never a quiet config)."""
    rng, (true_level, observed_level) = planner.rng, levels
    candidates = [
        i for i, spec in enumerate(planner.configs) if i not in reserved and spec.isl <= spec.osl
    ]
    events: list[LatencyEvent] = []
    for _ in range(3):
        for position in rng.permutation(len(candidates)):
            if len(events) == count:
                break
            index = candidates[int(position)]
            nights = [
                night
                for night in range(planner.edge, planner.nights - planner.edge)
                if planner.is_free([index], night)
                and all(planner.is_calm([index], n) for n in (night - 1, night, night + 1))
            ]
            if not nights:
                continue
            night = int(rng.choice(nights))
            rise = float(rng.uniform(*TTFT_RISE_RANGE))
            gain = float(rng.uniform(*TRADE_GAIN_RANGE)) if len(events) % 2 else 0.0
            ttft_level[index, night:] *= 1.0 + rise
            label = planner.configs[index].key.label
            engine = planner.configs[index].engine.name
            if gain:
                planner.add_change(
                    night,
                    [index],
                    gain,
                    "trade-gain",
                    f"{engine}: {label} {gain:+.0%}, TTFT {rise:+.0%} (a trade)",
                )
                true_level[index, night:] *= 1.0 + gain
                observed_level[index, night:] *= 1.0 + gain
            else:
                planner.change_nights[index].append(night)
            events.append(LatencyEvent(night, engine, index, rise, gain))
    return sorted(events, key=lambda e: (e.night, e.config_index))
