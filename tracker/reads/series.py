"""Reads over series (configs' histories): the filtered list with their latest values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.fields import CONFIG_FIELD_TYPES, ConfigValue
from tracker.errors import NotFound
from tracker.processing.frontier import target_label
from tracker.reads.changes import Change, latest_changes
from tracker.reads.filters import config_conditions, in_history
from tracker.reads.pagination import Page, decode_id_cursor, encode_id_cursor, paginate
from tracker.vocabulary import Metric, NoValuesReason, SubmissionPurpose

ValuesByTarget = dict[str, float]
"""Throughput (or cost) keyed by target interactivity label: ``{"35": 1843.2}``."""


@dataclass(frozen=True)
class LatestValues:
    """A series' newest sweep with frontier values: when, which commit, its values by metric."""

    timestamp: datetime
    commit: str | None
    sweep_id: int
    values: dict[str, ValuesByTarget]


@dataclass(frozen=True)
class SweepWithoutValues:
    """A processed sweep that got no frontier value, and why (docs/frontier.md)."""

    series_id: int
    sweep_id: int
    timestamp: datetime
    commit: str | None
    reason: NoValuesReason


@dataclass(frozen=True)
class SeriesItem:
    id: int
    config: dict[str, ConfigValue]
    latest: LatestValues | None
    newer_sweep_without_values: SweepWithoutValues | None
    last_change: Change | None


def configs_by_id(session: Session, config_ids: Sequence[int]) -> dict[int, models.Config]:
    """The configs (series) of these ids, by id."""
    return {
        config.id: config
        for config in session.execute(
            select(models.Config).where(models.Config.id.in_(config_ids))
        ).scalars()
    }


def require_series(session: Session, series_id: int) -> models.Config:
    config = session.get(models.Config, series_id)
    if config is None:
        raise NotFound(f"series {series_id} does not exist")
    return config


def _empty_values() -> dict[str, dict[str, float]]:
    return {metric: {} for metric in METRIC_NAMES}


METRIC_NAMES = tuple(metric.value for metric in Metric)


def frontier_values_by_sweep(
    session: Session, sweep_ids: Sequence[int], *, history_only: bool = False
) -> dict[int, dict[str, dict[str, float]]]:
    """Stored frontier values: sweep id → metric → target label → value (a candidate's sweep
    has its values in their own table, not read when the sweeps are known to be the
    history's)."""
    values: dict[int, dict[str, dict[str, float]]] = defaultdict(_empty_values)
    tables: tuple[type[models.FrontierValue] | type[models.CandidateFrontierValue], ...] = (
        (models.FrontierValue,)
        if history_only
        else (models.FrontierValue, models.CandidateFrontierValue)
    )
    for table in tables:
        rows = session.execute(
            select(table.sweep_id, table.metric, table.interactivity, table.value)
            .where(table.sweep_id.in_(sweep_ids))
            .order_by(table.sweep_id, table.interactivity)
        )
        for sweep_id, metric, interactivity, value in rows:
            values[sweep_id][metric.value][target_label(interactivity)] = value
    return values


def page_configs(
    *, session: Session, filters: dict[str, Any], limit: int, cursor: str | None
) -> Page[models.Config]:
    """Configs matching the filters, in id order (each knows its latest sweep)."""
    query = select(models.Config).where(*config_conditions(filters), in_history())
    if cursor is not None:
        query = query.where(models.Config.id > decode_id_cursor(cursor))
    configs = session.execute(query.order_by(models.Config.id).limit(limit + 1)).scalars().all()
    return paginate(list(configs), limit, lambda config: encode_id_cursor(config.id))


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


def latest_value_of(metric: Metric, interactivity: float) -> ColumnElement[bool]:
    """The join condition of a config's latest sweep's value of one metric at one target (a
    primary-key lookup per config)."""
    return (
        (models.FrontierValue.sweep_id == models.Config.latest_sweep_id)
        & (models.FrontierValue.metric == metric)
        & (models.FrontierValue.interactivity == interactivity)
    )


def latest_values(
    *,
    session: Session,
    filters: dict[str, Any],
    metric: Metric,
    interactivity: float,
) -> list[SeriesValue]:
    """Every matching series, in id order, with its latest sweep's (the newest with values) value
    of one metric at one target — for views over thousands of series (the explorer): one join on
    the configs' latest-sweep pointers, column rows rather than ORM objects."""
    config_columns = [models.Config.__table__.c[name] for name in ("id", *CONFIG_FIELD_TYPES)]
    rows = session.execute(
        select(*config_columns, models.Config.latest_at, models.FrontierValue.value)
        .outerjoin(models.FrontierValue, latest_value_of(metric, interactivity))
        .where(*config_conditions(filters), in_history())
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


def newer_sweeps_without_values(
    session: Session, config_ids: Sequence[int]
) -> dict[int, SweepWithoutValues]:
    """Per config, its newest processed sweep without frontier values that is newer than the
    sweep its latest values come from (configs without one are absent)."""
    newer = (
        (models.Config.latest_at.is_(None))
        | (models.Sweep.timestamp > models.Config.latest_at)
        | (
            (models.Sweep.timestamp == models.Config.latest_at)
            & (models.Sweep.id > models.Config.latest_sweep_id)
        )
    )
    ranked = (
        select(
            models.Sweep.config_id,
            models.Sweep.id,
            models.Sweep.timestamp,
            models.Sweep.no_values_reason,
            models.SourceRun.commit,
            func.row_number()
            .over(
                partition_by=models.Sweep.config_id,
                order_by=(models.Sweep.timestamp.desc(), models.Sweep.id.desc()),
            )
            .label("rank"),
        )
        .join(models.Config, models.Config.id == models.Sweep.config_id)
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(
            models.Sweep.config_id.in_(config_ids),
            models.Sweep.no_values_reason.is_not(None),
            models.SourceRun.purpose == SubmissionPurpose.HISTORY,
            newer,
        )
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rank == 1))
    return {
        row.config_id: SweepWithoutValues(
            series_id=row.config_id,
            sweep_id=row.id,
            timestamp=row.timestamp,
            commit=row.commit,
            reason=row.no_values_reason,
        )
        for row in rows
    }


def list_series(
    *, session: Session, filters: dict[str, Any], limit: int, cursor: str | None
) -> Page[SeriesItem]:
    """Series matching the config filters, in id order, with their latest frontier values (from
    the newest sweep that has any) and a newer sweep without values, if there is one."""
    page = page_configs(session=session, filters=filters, limit=limit, cursor=cursor)
    sweep_ids = [c.latest_sweep_id for c in page.items if c.latest_sweep_id is not None]
    sources = sweep_sources(session, sweep_ids)
    values = frontier_values_by_sweep(session, sweep_ids, history_only=True)
    config_ids = [c.id for c in page.items]
    last_changes = latest_changes(session=session, config_ids=config_ids)
    without_values = newer_sweeps_without_values(session, config_ids)
    items = []
    for config in page.items:
        sweep_id = config.latest_sweep_id
        latest = None
        if sweep_id is not None:
            timestamp, commit = sources[sweep_id]
            latest = LatestValues(
                timestamp=timestamp, commit=commit, sweep_id=sweep_id, values=values[sweep_id]
            )
        items.append(
            SeriesItem(
                id=config.id,
                config=config.as_dict(),
                latest=latest,
                newer_sweep_without_values=without_values.get(config.id),
                last_change=last_changes.get(config.id),
            )
        )
    return Page(items=items, next_cursor=page.next_cursor)
