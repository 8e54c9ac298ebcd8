"""The ground-truth scenario: which configs change on which night, bad nights and missing runs.

Everything here works on config indices and night indices; `history.py` turns the result into the
public ground-truth records. Rules that keep the truth unambiguous for a detector replay:
changes of one config are at least `MIN_CHANGE_GAP_NIGHTS` apart and away from both ends of the
history; outlier nights and missing runs never fall on or next to a change night of the configs
they touch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tracker.demo.simulation.catalogue import ENGINES
from tracker.demo.simulation.configs import ConfigSpec

ChangeKind = Literal[
    "engine-wide", "single-config", "campaign-step", "regression", "fix", "drift-step"
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
) -> Scenario:
    """Draw the whole scenario: changes, quiet configs, noise, bad nights and missing runs; with
    `alert_kind_events`, that many stale events and as many drift events besides, and engine
    pauses (the same generator draws them, so the nightly noise differs from a history without
    them)."""
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
    engine_present = {engine: np.ones(nights, dtype=bool) for engine in engines}
    for night, engine in missing_engine_nights:
        engine_present[engine][night] = False
    stale_events = _plan_stale(planner, engines, alert_kind_events) if alert_kind_events else []
    if alert_kind_events:
        missing_engine_nights += _plan_engine_pauses(planner, engines)
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
    )


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
