"""Engines (or GPUs) side by side at one interactivity, from each config's latest sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tracker.configs.fields import ConfigValue
from tracker.errors import FieldError, InvalidQuery
from tracker.processing.frontier_values import degraded_concs, front_values, sweep_points
from tracker.reads.pagination import Page
from tracker.reads.pricing import PriceSet, cost_per_mtok
from tracker.reads.series import page_configs, sweep_sources
from tracker.vocabulary import Metric

REQUIRED_FIELDS = ("model", "precision", "isl", "osl")


@dataclass(frozen=True)
class CompareItem:
    """One config at the compared interactivity; values are None off its latest front."""

    series_id: int
    config: dict[str, ConfigValue]
    interactivity: float
    tput_per_gpu: float | None
    output_tput_per_gpu: float | None
    median_ttft: float | None
    """Seconds, read along the tput_per_gpu front, as p99_ttft."""
    p99_ttft: float | None
    joules_per_token: float | None
    """Joules per output token, from rows with power fields."""
    cost_per_mtok: dict[str, float | None]
    sweep_id: int | None
    commit: str | None
    timestamp: datetime | None


def _check_filters(filters: dict[str, Any]) -> None:
    errors = [
        FieldError(loc=("query", name), msg=f"{name} is required to compare", type="missing")
        for name in REQUIRED_FIELDS
        if name not in filters
    ]
    if errors:
        raise InvalidQuery(errors)


def compare(
    *,
    session: Session,
    filters: dict[str, Any],
    interactivity: float,
    limit: int,
    cursor: str | None,
) -> Page[CompareItem]:
    """Throughput, latency, energy and cost at ``interactivity`` (any value) for every matching
    config.

    Read off the Pareto front of each config's latest sweep with values (the points processing
    left out for failed requests stay out); a config whose front does not reach that
    interactivity, or whose value there depends on a left-out point, is listed without values.
    """
    _check_filters(filters)
    page = page_configs(session=session, filters=filters, limit=limit, cursor=cursor)
    sweep_ids = [c.latest_sweep_id for c in page.items if c.latest_sweep_id is not None]
    points = sweep_points(session=session, sweep_ids=sweep_ids)
    left_out = degraded_concs(session=session, sweep_ids=sweep_ids)
    sources = sweep_sources(session, sweep_ids)
    items = []
    for config in page.items:
        sweep_id = config.latest_sweep_id
        front, _ = front_values(
            points.get(sweep_id, []) if sweep_id is not None else [],
            left_out.get(sweep_id, frozenset()) if sweep_id is not None else frozenset(),
            [interactivity],
        )
        values = {metric: value for metric, _, value in front}
        tput = values.get(Metric.TPUT_PER_GPU)
        timestamp, commit = sources.get(sweep_id, (None, None)) if sweep_id else (None, None)
        items.append(
            CompareItem(
                series_id=config.id,
                config=config.as_dict(),
                interactivity=interactivity,
                tput_per_gpu=tput,
                output_tput_per_gpu=values.get(Metric.OUTPUT_TPUT_PER_GPU),
                median_ttft=values.get(Metric.MEDIAN_TTFT),
                p99_ttft=values.get(Metric.P99_TTFT),
                joules_per_token=values.get(Metric.JOULES_PER_TOKEN),
                cost_per_mtok={
                    price_set.value: (
                        None if tput is None else cost_per_mtok(tput, config, price_set)
                    )
                    for price_set in PriceSet
                },
                sweep_id=sweep_id,
                commit=commit,
                timestamp=timestamp,
            )
        )
    return Page(items=items, next_cursor=page.next_cursor)
