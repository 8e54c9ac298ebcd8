"""A synthetic nightly benchmark history with its ground truth.

`generate_history` draws a fleet of configs (engines × GPUs × models × precisions × topologies ×
sequence lengths), a scenario of real changes, bad nights and missing runs, and plans one
submission per engine and night. Bodies are built lazily and deterministically: the same
arguments give byte-identical bodies.

Ground truth names configs by `ConfigKey`, the canonical config of docs/configs.md after
normalisation; `key.as_dict()` equals the `config` object of the series the tracker creates for
those rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from tracker.demo.simulation.catalogue import ENGINES, ENGINES_BY_NAME, engine_version
from tracker.demo.simulation.configs import ConfigKey, select_configs
from tracker.demo.simulation.rows import Fleet, JsonObject, PlannedSubmission, build_fleet
from tracker.demo.simulation.scenario import ChangeKind, PlannedChange, Scenario, plan_scenario
from tracker.demo.simulation.sources import commit_sha, run_timestamp, source_object

DEFAULT_START = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
MIN_NIGHTS = 30


@dataclass(frozen=True)
class HistoryScale:
    """How big a history is: its default length and how many configs each engine runs."""

    name: str
    nights: int
    configs_per_engine: int


SMALL = HistoryScale("small", nights=45, configs_per_engine=3)
"""A few thousand rows over six weeks, for tests."""
DEMO = HistoryScale("demo", nights=180, configs_per_engine=9)
"""About 85,000 rows: six months, all seven engines, all nine GPUs."""
BENCHMARK = HistoryScale("benchmark", nights=60, configs_per_engine=66)
"""Over 200,000 rows in submissions of about 500 rows (one engine's night)."""


@dataclass(frozen=True)
class TrueChange:
    """A real step in throughput: from `night` on, `configs` run `relative_change` faster.

    `relative_change` is level after / level before − 1 of `tput_per_gpu` and
    `output_tput_per_gpu` at any fixed interactivity (so of every frontier value); negative is a
    regression. `commit` and `engine_version` are the engine's on the change night.
    """

    night: int
    timestamp: datetime
    engine: str
    commit: str
    engine_version: str
    configs: tuple[ConfigKey, ...]
    relative_change: float
    kind: ChangeKind
    description: str


@dataclass(frozen=True)
class TrueStale:
    """Configs of one engine that stop reporting from `night` while the engine goes on, and
    report again from `returns_night` (None: not within the history)."""

    night: int
    returns_night: int | None
    engine: str
    configs: tuple[ConfigKey, ...]


@dataclass(frozen=True)
class TrueDrift:
    """One config sliding from `night` in small regressions a week apart (`relative_changes`),
    each below the drift threshold, together past it."""

    night: int
    engine: str
    config: ConfigKey
    relative_changes: tuple[float, ...]


@dataclass(frozen=True)
class TrueRankFlip:
    """At `target` interactivity on the slice of `new_config` (`mode` "engines": its model,
    precision, ISL/OSL and GPU, engines compete; "gpus": the same with its engine, GPUs compete),
    that config's engine or GPU (`new_leader`) overtakes `old_leader` (all of its `old_configs`
    there): from `night` on (`holds`), or on that night only (the old leader's bad night, which
    must not alert)."""

    night: int
    mode: str
    target: float
    holds: bool
    new_leader: str
    new_config: ConfigKey
    old_leader: str
    old_configs: tuple[ConfigKey, ...]


@dataclass(frozen=True)
class TrueLatency:
    """From `night` on, one config's median and p99 time to first token are `ttft_change` higher
    at every interactivity; a trade when the same commit gains `throughput_change` (else 0)."""

    night: int
    engine: str
    commit: str
    config: ConfigKey
    ttft_change: float
    throughput_change: float


@dataclass(frozen=True)
class Outlier:
    """A bad night: the config's throughput is `factor` (0.6–0.85) of its level that night only."""

    night: int
    config: ConfigKey
    factor: float


@dataclass(frozen=True)
class MissingRun:
    """A night without data: the engine's whole run (`config` None) or one config's rows."""

    night: int
    engine: str
    config: ConfigKey | None


@dataclass(frozen=True)
class Night:
    """One night: every engine's run that happened, bodies built on demand."""

    index: int
    timestamp: datetime
    planned: tuple[PlannedSubmission, ...]

    @property
    def submissions(self) -> tuple[JsonObject, ...]:
        """The night's submission bodies, one per engine that ran, in engine order."""
        return tuple(plan.body() for plan in self.planned)

    @property
    def row_count(self) -> int:
        """Result rows over all of the night's submissions."""
        return sum(plan.row_count for plan in self.planned)


@dataclass(frozen=True)
class History:
    """Nights of submissions in time order, with the ground truth they were drawn from."""

    seed: int
    scale: HistoryScale
    nights: tuple[Night, ...]
    configs: tuple[ConfigKey, ...]
    true_changes: tuple[TrueChange, ...]
    outliers: tuple[Outlier, ...]
    missing: tuple[MissingRun, ...]
    quiet_configs: tuple[ConfigKey, ...]
    true_levels: dict[ConfigKey, tuple[float, ...]] = field(repr=False)
    """Each config's throughput level per night from real changes only (1.0 at the start)."""
    stale_events: tuple[TrueStale, ...] = ()
    drift_events: tuple[TrueDrift, ...] = ()
    engine_pauses: tuple[MissingRun, ...] = ()
    """Nights an engine posted nothing (whole-engine missing runs): never a stale alert."""
    rank_flips: tuple[TrueRankFlip, ...] = ()
    latency_changes: tuple[TrueLatency, ...] = ()

    def submissions(self) -> Iterator[JsonObject]:
        """Every submission body in time order, built one at a time."""
        for night in self.nights:
            for plan in night.planned:
                yield plan.body()

    @property
    def submission_count(self) -> int:
        """Submissions in the whole history."""
        return sum(len(night.planned) for night in self.nights)

    @property
    def row_count(self) -> int:
        """Result rows in the whole history."""
        return sum(night.row_count for night in self.nights)

    def changes_of(self, config: ConfigKey) -> tuple[TrueChange, ...]:
        """The true changes that moved one config, in time order."""
        return tuple(change for change in self.true_changes if config in change.configs)


def generate_history(
    *,
    seed: int = 7,
    nights: int | None = None,
    start: datetime = DEFAULT_START,
    scale: HistoryScale = DEMO,
    alert_kind_events: int = 0,
) -> History:
    """Draw a nightly history of `nights` (default: the scale's) from `start`, deterministically;
    with `alert_kind_events`, that many stale events (configs that stop while their engine goes
    on), drift events (small regressions adding up), rank flips that hold (one engine overtakes
    another at a target interactivity) and latency regressions (every second one a trade)
    besides, a third as many single-night rank flips, and engine pauses.

    Raises ValueError when `nights` is too short to place the scenario's events or `start`
    has no time zone.
    """
    night_count = scale.nights if nights is None else nights
    if night_count < MIN_NIGHTS:
        raise ValueError(f"a history needs at least {MIN_NIGHTS} nights, not {night_count}")
    if start.tzinfo is None:
        raise ValueError("start must carry a time zone")
    rng = np.random.default_rng(seed)
    specs = select_configs(configs_per_engine=scale.configs_per_engine, rng=rng)
    fleet = build_fleet(specs, rng)
    scenario = plan_scenario(
        configs=specs, nights=night_count, rng=rng, alert_kind_events=alert_kind_events, fleet=fleet
    )
    night_list = [
        _plan_night(seed=seed, night=night, start=start, fleet=fleet, scenario=scenario)
        for night in range(night_count)
    ]
    keys = fleet.keys
    return History(
        seed=seed,
        scale=scale,
        nights=tuple(night_list),
        configs=keys,
        true_changes=tuple(
            _true_change(seed=seed, change=change, scenario=scenario, start=start, keys=keys)
            for change in scenario.changes
        ),
        outliers=tuple(
            Outlier(night, keys[index], factor) for night, index, factor in scenario.outliers
        ),
        missing=_missing_runs(scenario, fleet),
        quiet_configs=tuple(keys[index] for index in scenario.quiet),
        true_levels={
            key: tuple(scenario.true_level[index].tolist()) for index, key in enumerate(keys)
        },
        stale_events=tuple(
            TrueStale(e.night, e.returns_night, e.engine, tuple(keys[i] for i in e.config_indices))
            for e in scenario.stale_events
        ),
        drift_events=tuple(
            TrueDrift(e.night, e.engine, keys[e.config_index], e.relative_changes)
            for e in scenario.drift_events
        ),
        engine_pauses=tuple(
            MissingRun(night, engine, None) for night, engine in scenario.missing_engine_nights
        ),
        rank_flips=tuple(
            TrueRankFlip(
                e.night,
                e.mode,
                e.target,
                e.holds,
                keys[e.new_index].framework if e.mode == "engines" else keys[e.new_index].hardware,
                keys[e.new_index],
                e.old_leader,
                tuple(keys[i] for i in e.old_indices),
            )
            for e in scenario.rank_events
        ),
        latency_changes=tuple(
            TrueLatency(
                e.night,
                e.engine,
                commit_sha(seed=seed, engine=e.engine, night=e.night),
                keys[e.config_index],
                e.ttft_change,
                e.throughput_change,
            )
            for e in scenario.latency_events
        ),
    )


def _plan_night(
    *, seed: int, night: int, start: datetime, fleet: Fleet, scenario: Scenario
) -> Night:
    timestamp = start + timedelta(days=night)
    planned = []
    for engine_position, engine in enumerate(ENGINES):
        ran = scenario.engine_present.get(engine.name)
        if ran is None or not ran[night]:
            continue
        indices = np.array(
            [
                index
                for index, spec in enumerate(fleet.specs)
                if spec.engine.name == engine.name and scenario.present[index, night]
            ],
            dtype=int,
        )
        if indices.size == 0:
            continue
        source = source_object(
            seed=seed,
            engine=engine,
            night=night,
            release_index=int(scenario.release_index[engine.name][night]),
            timestamp=run_timestamp(night_timestamp=timestamp, engine=engine),
        )
        planned.append(
            PlannedSubmission(
                night=night,
                engine=engine,
                source=source,
                config_indices=indices,
                levels=scenario.observed_level[indices, night],
                fleet=fleet,
                jitter_seed=(seed, night, engine_position),
                ttft_levels=scenario.ttft_level[indices, night],
            )
        )
    return Night(index=night, timestamp=timestamp, planned=tuple(planned))


def _true_change(
    *,
    seed: int,
    change: PlannedChange,
    scenario: Scenario,
    start: datetime,
    keys: tuple[ConfigKey, ...],
) -> TrueChange:
    engine = ENGINES_BY_NAME[change.engine]
    release = int(scenario.release_index[change.engine][change.night])
    night_timestamp = start + timedelta(days=change.night)
    return TrueChange(
        night=change.night,
        timestamp=run_timestamp(night_timestamp=night_timestamp, engine=engine),
        engine=change.engine,
        commit=commit_sha(seed=seed, engine=change.engine, night=change.night),
        engine_version=engine_version(engine, release),
        configs=tuple(keys[index] for index in change.config_indices),
        relative_change=change.relative_change,
        kind=change.kind,
        description=change.description,
    )


def _missing_runs(scenario: Scenario, fleet: Fleet) -> tuple[MissingRun, ...]:
    runs = [MissingRun(night, engine, None) for night, engine in scenario.missing_engine_nights]
    runs += [
        MissingRun(night, fleet.specs[index].engine.name, fleet.keys[index])
        for night, index in scenario.missing_config_nights
    ]
    return tuple(sorted(runs, key=lambda run: (run.night, run.engine)))
