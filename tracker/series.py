"""Reads over series (configs' histories): the filtered list with latest values, and trends."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import models, views
from tracker.changes import latest_changes, track_changes
from tracker.config_rows import config_conditions, config_view
from tracker.configs import CONFIG_FIELD_TYPES
from tracker.errors import FieldError, InvalidQuery, NotFound
from tracker.frontier import target_label
from tracker.pagination import Page, decode_cursor, paginate
from tracker.pricing import PRICE_PER_GPU_HOUR, PriceSet, cost_per_mtok, price_per_gpu_hour
from tracker.tracks import find_track


class TrendMetric(enum.StrEnum):
    TPUT_PER_GPU = "tput_per_gpu"
    OUTPUT_TPUT_PER_GPU = "output_tput_per_gpu"
    COST_PER_MTOK = "cost_per_mtok"


def require_target(interactivity: float, targets: Sequence[float]) -> None:
    """Tracks exist only at the target interactivities; anything else is a 422 listing them."""
    if interactivity not in targets:
        raise InvalidQuery(
            [
                FieldError(
                    loc=("query", "interactivity"),
                    msg="interactivity must be one of the targets "
                    f"{', '.join(map(target_label, targets))}, got {target_label(interactivity)}",
                )
            ]
        )


def require_series(session: Session, series_id: int) -> models.Config:
    config = session.get(models.Config, series_id)
    if config is None:
        raise NotFound(f"series {series_id} does not exist")
    return config


def _empty_values() -> dict[str, dict[str, float]]:
    return {metric: {} for metric in METRIC_NAMES}


METRIC_NAMES = tuple(metric.value for metric in models.Metric)


def frontier_values_by_sweep(
    session: Session, sweep_ids: Sequence[int]
) -> dict[int, dict[str, dict[str, float]]]:
    """Stored frontier values: sweep id → metric → target label → value."""
    values: dict[int, dict[str, dict[str, float]]] = defaultdict(_empty_values)
    rows = session.execute(
        select(
            models.FrontierValue.sweep_id,
            models.FrontierValue.metric,
            models.FrontierValue.interactivity,
            models.FrontierValue.value,
        )
        .where(models.FrontierValue.sweep_id.in_(sweep_ids))
        .order_by(models.FrontierValue.sweep_id, models.FrontierValue.interactivity)
    )
    for sweep_id, metric, interactivity, value in rows:
        values[sweep_id][metric.value][target_label(interactivity)] = value
    return values


def page_configs(
    *, session: Session, filters: dict[str, Any], limit: int, cursor: str | None
) -> Page[models.Config]:
    """Configs matching the filters, in id order (each knows its latest sweep)."""
    query = select(models.Config).where(*config_conditions(filters))
    if cursor is not None:
        (after_id,) = decode_cursor(cursor)
        query = query.where(models.Config.id > after_id)
    configs = session.execute(query.order_by(models.Config.id).limit(limit + 1)).scalars().all()
    return paginate(list(configs), limit, lambda config: [config.id])


def sweep_sources(
    session: Session, sweep_ids: Sequence[int]
) -> dict[int, tuple[datetime, str | None]]:
    """Sweep id → (timestamp, commit) of the source run it came from."""
    return {
        sweep_id: (timestamp, commit)
        for sweep_id, timestamp, commit in session.execute(
            select(models.Sweep.id, models.Sweep.timestamp, models.SourceRun.commit)
            .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
            .where(models.Sweep.id.in_(sweep_ids))
        )
    }


@dataclass(frozen=True)
class SeriesValue:
    """A series with its latest value of one metric at one target (None: off the front)."""

    series_id: int
    config: dict[str, Any]
    value: float | None
    latest_at: datetime | None


def latest_values(
    *,
    session: Session,
    filters: dict[str, Any],
    metric: models.Metric,
    interactivity: float,
) -> list[SeriesValue]:
    """Every matching series, in id order, with its latest processed sweep's value of one
    metric at one target — for views over thousands of series (the explorer): one join on
    the configs' latest-sweep pointers, column rows rather than ORM objects."""
    config_columns = [models.Config.__table__.c[name] for name in ("id", *CONFIG_FIELD_TYPES)]
    rows = session.execute(
        select(*config_columns, models.Config.latest_at, models.FrontierValue.value)
        .outerjoin(
            models.FrontierValue,
            (models.FrontierValue.sweep_id == models.Config.latest_sweep_id)
            & (models.FrontierValue.metric == metric)
            & (models.FrontierValue.interactivity == interactivity),
        )
        .where(*config_conditions(filters))
        .order_by(models.Config.id)
    ).all()
    names = tuple(CONFIG_FIELD_TYPES)
    return [
        SeriesValue(
            series_id=row[0],
            config=dict(zip(names, row[1:-2], strict=True)),
            value=row[-1],
            latest_at=row[-2],
        )
        for row in rows
    ]


def list_series(
    *, session: Session, filters: dict[str, Any], limit: int, cursor: str | None
) -> Page[views.SeriesItem]:
    """Series matching the config filters, in id order, with their latest frontier values."""
    page = page_configs(session=session, filters=filters, limit=limit, cursor=cursor)
    sweep_ids = [c.latest_sweep_id for c in page.items if c.latest_sweep_id is not None]
    sources = sweep_sources(session, sweep_ids)
    values = frontier_values_by_sweep(session, sweep_ids)
    last_changes = latest_changes(session=session, config_ids=[c.id for c in page.items])
    items = []
    for config in page.items:
        sweep_id = config.latest_sweep_id
        latest = None
        if sweep_id is not None:
            timestamp, commit = sources[sweep_id]
            latest = views.LatestValues(
                timestamp=timestamp, commit=commit, sweep_id=sweep_id, values=values[sweep_id]
            )
        items.append(
            views.SeriesItem(
                id=config.id,
                config=config_view(config),
                latest=latest,
                last_change=last_changes.get(config.id),
            )
        )
    return Page(items=items, next_cursor=page.next_cursor)


def trend(
    *,
    session: Session,
    series_id: int,
    metric: TrendMetric,
    interactivity: float,
    price_set: PriceSet,
    since: datetime | None,
    until: datetime | None,
    targets: Sequence[float],
) -> views.Trend:
    """A track's values over time, oldest first; absent where the target is off the front."""
    config = require_series(session, series_id)
    require_target(interactivity, targets)
    is_cost = metric is TrendMetric.COST_PER_MTOK
    if is_cost and price_per_gpu_hour(config.hardware, price_set) is None:
        raise InvalidQuery(
            [
                FieldError(
                    loc=("query", "metric"),
                    msg=f"no published GPU-hour price for hardware {config.hardware!r}; "
                    f"cost is known for {', '.join(PRICE_PER_GPU_HOUR)}",
                )
            ]
        )
    stored_metric = models.Metric.TPUT_PER_GPU if is_cost else models.Metric(metric.value)
    query = (
        select(
            models.FrontierValue.timestamp,
            models.FrontierValue.sweep_id,
            models.FrontierValue.value,
            models.SourceRun.commit,
            models.SourceRun.engine_version,
        )
        .join(models.Sweep, models.Sweep.id == models.FrontierValue.sweep_id)
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(
            models.FrontierValue.config_id == series_id,
            models.FrontierValue.metric == stored_metric,
            models.FrontierValue.interactivity == interactivity,
        )
        .order_by(models.FrontierValue.timestamp, models.FrontierValue.sweep_id)
    )
    if since is not None:
        query = query.where(models.FrontierValue.timestamp >= since)
    if until is not None:
        query = query.where(models.FrontierValue.timestamp < until)
    track = find_track(
        session=session, config_id=series_id, metric=stored_metric, interactivity=interactivity
    )
    outliers = set(track.outlier_sweep_ids) if track is not None else set()
    points = []
    for timestamp, sweep_id, value, commit, engine_version in session.execute(query):
        shown = cost_per_mtok(value, config.hardware, price_set) if is_cost else value
        assert shown is not None, "prices exist for this hardware and throughput is positive"
        points.append(
            views.TrendPoint(
                timestamp=timestamp,
                sweep_id=sweep_id,
                commit=commit,
                engine_version=engine_version,
                value=shown,
                outlier=sweep_id in outliers,
            )
        )
    # Cost is shown, not run through detection: a price change is not a performance change.
    detected = track is not None and not is_cost
    return views.Trend(
        series_id=series_id,
        metric=metric.value,
        interactivity=interactivity,
        price_set=price_set.value if is_cost else None,
        points=points,
        changes=(
            track_changes(
                session=session,
                config_id=series_id,
                metric=stored_metric,
                interactivity=interactivity,
            )
            if detected
            else []
        ),
        suspected=(
            [views.SuspectedChange.model_validate(s) for s in track.suspected]
            if detected and track is not None
            else []
        ),
    )
