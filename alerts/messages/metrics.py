"""How each metric reads in a message: its label, its values with their unit, the order metrics
are named in, and the trades a config makes between throughput and latency or energy.

Throughput is "higher is better"; TTFT and joules per token are "higher is worse", and the
change points' `direction` already says which way each moved for people (a TTFT that rose is a
regression). Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerts.messages import formatting
from alerts.messages.model import ChangeSummary
from tracker.vocabulary import THROUGHPUT_METRICS, ChangeDirection, Metric

METRIC_LABEL = {
    Metric.TPUT_PER_GPU: "tok/s/GPU",
    Metric.OUTPUT_TPUT_PER_GPU: "output tok/s/GPU",
    Metric.MEDIAN_TTFT: "median TTFT",
    Metric.P99_TTFT: "p99 TTFT",
    Metric.JOULES_PER_TOKEN: "J/output token",
}
"""A throughput's label is its unit, written after the values; the others name what they are,
written before the values (which carry their unit)."""

METRIC_ORDER = (
    Metric.TPUT_PER_GPU,
    Metric.OUTPUT_TPUT_PER_GPU,
    Metric.P99_TTFT,
    Metric.MEDIAN_TTFT,
    Metric.JOULES_PER_TOKEN,
)
"""The order metrics are named in: throughput first, then the tail latency people quote."""

_TRADE_LABEL = {Metric.TPUT_PER_GPU: "tput/GPU", Metric.OUTPUT_TPUT_PER_GPU: "output tput/GPU"}


def metric_rank(metric: Metric) -> int:
    return METRIC_ORDER.index(metric)


def value(metric: Metric, amount: float) -> str:
    """A value with its unit where the label does not carry it: "3,100", "91 ms", "3.71 J"."""
    if metric in THROUGHPUT_METRICS:
        return formatting.throughput(amount)
    if metric is Metric.JOULES_PER_TOKEN:
        return formatting.joules(amount)
    return formatting.seconds(amount)


def before_after(change: ChangeSummary, *, labelled: bool = False) -> str:
    """ "3,100 → 2,877 (−7.2 %)"; labelled: "3,100 → 2,877 tok/s/GPU (−7.2 %)",
    "p99 TTFT 91 ms → 127 ms (+40.0 %)"."""
    moved = (
        f"{value(change.metric, change.before)} {formatting.ARROW} "
        f"{value(change.metric, change.after)}"
    )
    if labelled and change.metric in THROUGHPUT_METRICS:
        moved = f"{moved} {METRIC_LABEL[change.metric]}"
    elif labelled:
        moved = f"{METRIC_LABEL[change.metric]} {moved}"
    return f"{moved} ({formatting.signed_percent(change.relative_change)})"


@dataclass(frozen=True)
class Trade:
    """Throughput moved one way and latency (or energy) the other, for people: one side gained
    while the other regressed. Such an alert is never an improvement."""

    throughput_metric: Metric
    throughput_changes: tuple[float, ...]
    throughput_interactivity: float
    cost_metric: Metric
    cost_changes: tuple[float, ...]

    @property
    def phrase(self) -> str:
        """ "+6.1 % tput/GPU at 35 tok/s/user, p99 TTFT +38.0 %"."""
        return (
            f"{formatting.percent_range(self.throughput_changes)} "
            f"{_TRADE_LABEL[self.throughput_metric]} at "
            f"{formatting.interactivity(self.throughput_interactivity)} tok/s/user, "
            f"{METRIC_LABEL[self.cost_metric]} {formatting.percent_range(self.cost_changes)}"
        )


def trade(changes: Sequence[ChangeSummary], *, reference_interactivity: float) -> Trade | None:
    """The trade the changes make, or None: at one target, throughput changes of one direction
    and latency (else energy) changes of the other. Quoted at `reference_interactivity` where
    throughput traded there (else the target where most traded throughput changes are), total
    throughput before output, p99 TTFT before median TTFT before energy, and the cost side at
    the same target when it moved there."""
    throughput = [c for c in changes if c.metric in THROUGHPUT_METRICS]
    others = [c for c in changes if c.metric not in THROUGHPUT_METRICS]
    for gained, paid in (
        (ChangeDirection.GAIN, ChangeDirection.REGRESSION),
        (ChangeDirection.REGRESSION, ChangeDirection.GAIN),
    ):
        sides = (
            [c for c in throughput if c.direction is gained],
            [c for c in others if c.direction is paid],
        )
        targets = {c.interactivity for c in sides[0]} & {c.interactivity for c in sides[1]}
        if targets:
            return _quoted(
                [c for c in sides[0] if c.interactivity in targets],
                [c for c in sides[1] if c.interactivity in targets],
                reference_interactivity=reference_interactivity,
            )
    return None


@dataclass(frozen=True)
class SeriesTrade:
    """The trade one series (one config) made with its own changes."""

    series_id: int
    config: Mapping[str, Any]
    trade: Trade


def series_trades(
    changes: Sequence[ChangeSummary], *, reference_interactivity: float
) -> tuple[SeriesTrade, ...]:
    """Every series whose own changes trade (`trade`), by series id: a trade is a property of one
    config's changes, never of two configs that happened to move on one commit range."""
    by_series: dict[int, list[ChangeSummary]] = defaultdict(list)
    for change in changes:
        by_series[change.series_id].append(change)
    found = []
    for series_id, own in sorted(by_series.items()):
        traded = trade(own, reference_interactivity=reference_interactivity)
        if traded is not None:
            found.append(SeriesTrade(series_id, own[0].config, traded))
    return tuple(found)


def _quoted(
    throughput: Sequence[ChangeSummary],
    cost: Sequence[ChangeSummary],
    *,
    reference_interactivity: float,
) -> Trade:
    targets = [c.interactivity for c in throughput]
    target = (
        reference_interactivity
        if reference_interactivity in targets
        else min(set(targets), key=lambda t: (-targets.count(t), t))
    )
    at_target = [c for c in throughput if c.interactivity == target]
    metric = min({c.metric for c in at_target}, key=metric_rank)
    cost_metric = min({c.metric for c in cost}, key=metric_rank)
    cost_of_metric = [c for c in cost if c.metric is cost_metric]
    cost_at_target = [c for c in cost_of_metric if c.interactivity == target] or cost_of_metric
    return Trade(
        throughput_metric=metric,
        throughput_changes=tuple(c.relative_change for c in at_target if c.metric is metric),
        throughput_interactivity=target,
        cost_metric=cost_metric,
        cost_changes=tuple(c.relative_change for c in cost_at_target),
    )
