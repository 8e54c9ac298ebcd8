"""The slice that moved: an alert's change points summarised in configuration terms.

"11 series regressed, all FP8 on MI355X (single-node and disagg), −7.2 … −11.4 % at
35 tok/s/user, strongest at high interactivity". For each dimension (model, precision,
ISL/OSL, topology, spec method, framework, GPU) the values shared by every changed series
are named; dimensions that vary are named compactly ("single-node and disagg", "3 models").
Regressions and gains are summarised apart. Pure functions over `ChangeSummary` tuples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean

from alerts.messages import dimensions, formatting, metrics
from alerts.messages.dimensions import Config, Dimension
from alerts.messages.model import AlertSummary, ChangeSummary
from tracker.vocabulary import ChangeDirection, Metric

REFERENCE_INTERACTIVITY = 35.0
PRIMARY_METRIC = Metric.TPUT_PER_GPU
COST_PRICE_SET = "hyperscaler"

# Shared values read as one noun phrase in this order: "dsr1 FP8 8k/1k disagg with MTP".
_SHARED_ORDER = ("model", "precision", "sequence_lengths", "topology", "spec_method", "framework")
# Varied dimensions are listed most telling first: "(single-node and disagg; 3 models)".
_VARIED_ORDER = ("topology", "sequence_lengths", "model", "precision", "spec_method", "framework")
# Where the strongest target sits in the band: lower and upper thirds read as "low" and "high".
_BAND_THIRD = 1 / 3


@dataclass(frozen=True)
class ReferenceTrack:
    """The metric and target at which a slice's range of changes is quoted (35 tok/s/user)."""

    metric: Metric
    interactivity: float


@dataclass(frozen=True)
class CostImpact:
    """Cost per million tokens (one price set) before → after: the top priced series, the range."""

    price_set: str
    series: ChangeSummary
    before_usd: float
    after_usd: float
    reference: ReferenceTrack
    relative_changes: tuple[float, ...]

    @property
    def relative_change(self) -> float:
        """The top series' relative change in cost."""
        return self.after_usd / self.before_usd - 1


@dataclass(frozen=True)
class SliceSummary:
    """The change points of one direction, read as a slice of the configuration space."""

    direction: ChangeDirection
    series_count: int
    change_count: int
    slice: str
    targets: tuple[float, ...]
    reference: ReferenceTrack
    reference_changes: tuple[float, ...]
    strongest_at: str | None
    top: tuple[ChangeSummary, ...]
    cost: CostImpact | None

    @property
    def count_phrase(self) -> str:
        """ "11 series regressed", "1 series gained"."""
        verb = "regressed" if self.direction is ChangeDirection.REGRESSION else "gained"
        return f"{formatting.plural(self.series_count, 'series', 'series')} {verb}"

    @property
    def band(self) -> str:
        """The targets that moved: "10–125 tok/s/user"."""
        return formatting.interactivity_band(self.targets)

    @property
    def range_phrase(self) -> str:
        """ "−7.2 … −11.4 % at 35 tok/s/user" (naming the metric when it is not tok/s/GPU)."""
        phrase = (
            f"{formatting.percent_range(self.reference_changes)} at "
            f"{formatting.interactivity(self.reference.interactivity)} tok/s/user"
        )
        if self.reference.metric is not PRIMARY_METRIC:
            phrase += f" ({metrics.METRIC_LABEL[self.reference.metric]})"
        return phrase

    @property
    def description(self) -> str:
        """Everything after the count: slice, range and where it was strongest."""
        parts = [self.slice, self.range_phrase]
        if self.strongest_at:
            parts.append(self.strongest_at)
        return ", ".join(parts)

    def sentence(self) -> str:
        """ "11 series regressed, all FP8 on MI355X …, strongest at high interactivity"."""
        return f"{self.count_phrase}, {self.description}"


def split_by_direction(
    changes: Iterable[ChangeSummary],
) -> tuple[tuple[ChangeSummary, ...], tuple[ChangeSummary, ...]]:
    """(regressions, gains), each in the order given."""
    ordered = tuple(changes)
    regressions = tuple(c for c in ordered if c.direction is ChangeDirection.REGRESSION)
    gains = tuple(c for c in ordered if c.direction is ChangeDirection.GAIN)
    return regressions, gains


def summarise(changes: Sequence[ChangeSummary], *, engine: str | None = None) -> SliceSummary:
    """Summarise the change points of one direction (all regressions, or all gains).

    `engine` is the alert's engine; a framework equal to it goes unsaid.
    """
    if not changes:
        raise ValueError("summarise needs at least one change")
    directions = {change.direction for change in changes}
    if len(directions) != 1:
        raise ValueError("summarise takes the changes of one direction; split them first")
    reference = reference_track(changes)
    at_reference = [change.relative_change for change in changes if _track_of(change) == reference]
    return SliceSummary(
        direction=directions.pop(),
        series_count=len({change.series_id for change in changes}),
        change_count=len(changes),
        slice=describe_configs(_configs_by_series(changes), engine=engine),
        targets=tuple(sorted({change.interactivity for change in changes})),
        reference=reference,
        reference_changes=tuple(at_reference),
        strongest_at=strongest_interactivity(changes),
        top=top_series(changes),
        cost=cost_impact(changes),
    )


def describe_slice(changes: Sequence[ChangeSummary], *, engine: str | None = None) -> str:
    """Regressions and gains described apart: "11 series regressed, …; 2 series gained, …"."""
    return "; ".join(summary.sentence() for summary in summaries(changes, engine=engine))


def summaries(
    changes: Sequence[ChangeSummary], *, engine: str | None = None
) -> tuple[SliceSummary, ...]:
    """One summary per direction present, regressions first."""
    return tuple(summarise(group, engine=engine) for group in split_by_direction(changes) if group)


def headline(alert: AlertSummary) -> str:
    """ "sglang 4f2c1e9…9a1b7c3: 11 series regressed, all FP8 on MI355X …"; an alert that is a
    trade says so first ("…: trade (+6.1 % tput/GPU at 35 tok/s/user, p99 TTFT +38.0 %); 1
    series …"), a wider one after ("…; 1 series traded (…)")."""
    label = f"{alert.engine} {formatting.commit_range(alert.commit_from, alert.commit_to)}"
    description = describe_slice(alert.changes, engine=alert.engine)
    traded = trade(alert.changes)
    if traded is not None:
        description = f"trade ({traded.phrase}); {description}"
    elif within := series_trades(alert.changes):
        count = formatting.plural(len(within), "series", "series")
        description = f"{description}; {count} traded ({within[0].trade.phrase})"
    return f"{label}: {description or 'no confirmed changes'}"


def trade(changes: Sequence[ChangeSummary]) -> metrics.Trade | None:
    """The trade the changes are, when every series in them traded (`series_trades`), quoted at
    35 tok/s/user where throughput traded there; None otherwise."""
    traded = series_trades(changes)
    if not traded or len(traded) < len({change.series_id for change in changes}):
        return None
    return metrics.trade(changes, reference_interactivity=REFERENCE_INTERACTIVITY)


def series_trades(changes: Sequence[ChangeSummary]) -> tuple[metrics.SeriesTrade, ...]:
    """Each series that traded throughput for latency (or energy) with its own changes."""
    return metrics.series_trades(changes, reference_interactivity=REFERENCE_INTERACTIVITY)


def top_series(changes: Sequence[ChangeSummary], n: int | None = None) -> tuple[ChangeSummary, ...]:
    """The series that moved most, one change each (its largest), strongest first; at most `n`."""
    strongest_by_series: dict[int, ChangeSummary] = {}
    for change in sorted(changes, key=lambda c: (-abs(c.relative_change), c.change_id)):
        strongest_by_series.setdefault(change.series_id, change)
    ranked = sorted(
        strongest_by_series.values(), key=lambda c: (-abs(c.relative_change), c.series_id)
    )
    return tuple(ranked if n is None else ranked[:n])


def reference_track(changes: Sequence[ChangeSummary]) -> ReferenceTrack:
    """35 tok/s/user if it moved, else the target most changes share (the lower on a tie);
    of the metrics that moved there, the first in `metrics.METRIC_ORDER` (total throughput per
    GPU, output throughput, p99 TTFT, median TTFT, energy)."""
    count_by_target: dict[float, int] = defaultdict(int)
    for change in changes:
        count_by_target[change.interactivity] += 1
    if REFERENCE_INTERACTIVITY in count_by_target:
        target = REFERENCE_INTERACTIVITY
    else:
        target = min(count_by_target, key=lambda t: (-count_by_target[t], t))
    metric = min(
        {change.metric for change in changes if change.interactivity == target},
        key=metrics.metric_rank,
    )
    return ReferenceTrack(metric=metric, interactivity=target)


def strongest_interactivity(changes: Sequence[ChangeSummary]) -> str | None:
    """Where in the band the mean |relative change| is largest: "strongest at high interactivity".

    None when only one target moved.
    """
    magnitudes: dict[float, list[float]] = defaultdict(list)
    for change in changes:
        magnitudes[change.interactivity].append(abs(change.relative_change))
    if len(magnitudes) < 2:
        return None
    strongest = min(magnitudes, key=lambda t: (-fmean(magnitudes[t]), t))
    low, high = min(magnitudes), max(magnitudes)
    position = (strongest - low) / (high - low)
    if position >= 1 - _BAND_THIRD:
        return "strongest at high interactivity"
    if position <= _BAND_THIRD:
        return "strongest at low interactivity"
    return f"strongest around {formatting.interactivity(strongest)} tok/s/user"


def cost_impact(
    changes: Sequence[ChangeSummary], *, price_set: str = COST_PRICE_SET
) -> CostImpact | None:
    """Cost per million tokens before → after for the top series with a GPU price, and the range
    of cost changes at the reference track. None when no changed GPU has a price."""
    priced = [change for change in changes if _costs(change, price_set) is not None]
    if not priced:
        return None
    series = top_series(priced, 1)[0]
    costs = _costs(series, price_set)
    assert costs is not None
    reference = reference_track(priced)
    relative_changes = []
    for change in priced:
        change_costs = _costs(change, price_set)
        if change_costs is not None and _track_of(change) == reference:
            relative_changes.append(change_costs[1] / change_costs[0] - 1)
    return CostImpact(
        price_set=price_set,
        series=series,
        before_usd=costs[0],
        after_usd=costs[1],
        reference=reference,
        relative_changes=tuple(relative_changes),
    )


def describe_configs(configs: Sequence[Config], *, engine: str | None = None) -> str:
    """The slice the configs span: "all FP8 on MI355X (single-node and disagg)"."""
    shared: dict[str, str] = {}
    varied: dict[str, list[str]] = {}
    for dimension in dimensions.SLICE_DIMENSIONS:
        values = {dimension.value_of(config) for config in configs}
        if len(values) == 1:
            shared[dimension.name] = values.pop()
        else:
            varied[dimension.name] = dimensions.sort_values(dimension, values)
    if shared.get("framework") == engine:
        del shared["framework"]

    words = [_shared_word(name, shared[name]) for name in _SHARED_ORDER if name in shared]
    noun = " ".join(word for word in words if word)
    if "hardware" in shared:
        place = f"on {shared['hardware']}"
    else:
        gpus = _varied_phrase(dimensions.DIMENSIONS_BY_NAME["hardware"], varied["hardware"])
        place = f"on {gpus}" if noun else f"across {gpus}"
    core = " ".join(part for part in (noun, place) if part)
    if len(configs) > 1 and (noun or "hardware" in shared):
        core = f"all {core}"
    details = [
        _varied_phrase(dimensions.DIMENSIONS_BY_NAME[name], varied[name])
        for name in _VARIED_ORDER
        if name in varied
    ]
    return f"{core} ({'; '.join(details)})" if details else core


def _shared_word(name: str, value: str) -> str:
    if name == "spec_method":
        return "" if value == "none" else f"with {value}"
    return value


def _varied_phrase(dimension: Dimension, values: list[str]) -> str:
    if dimension.name == "spec_method" and "none" in values and len(values) == 2:
        other = next(value for value in values if value != "none")
        return f"with and without {other}"
    if len(values) <= dimension.list_up_to:
        return formatting.join_words(values)
    return f"{len(values):,} {dimension.plural_noun}"


def _configs_by_series(changes: Sequence[ChangeSummary]) -> list[Config]:
    configs: dict[int, Config] = {}
    for change in changes:
        configs.setdefault(change.series_id, change.config)
    return list(configs.values())


def _track_of(change: ChangeSummary) -> ReferenceTrack:
    return ReferenceTrack(metric=change.metric, interactivity=change.interactivity)


def _costs(change: ChangeSummary, price_set: str) -> tuple[float, float] | None:
    if change.cost_before is None or change.cost_after is None:
        return None
    before, after = change.cost_before.get(price_set), change.cost_after.get(price_set)
    if before is None or after is None or before <= 0:
        return None
    return before, after
