"""The explorer's table over thousands of series: the matching series sorted in the database by
their latest value of one metric at one target (or a config field, or their last change), one
slice of that order at a time. Nothing here loads every matching series into Python."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, Subquery, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.reads.changes import newest_change_per_config
from tracker.reads.filters import config_conditions, in_history
from tracker.reads.series import SeriesValue, latest_value_of
from tracker.vocabulary import Metric

CONFIG_SORTS = {
    "latest": ("latest_at",),
    "engine": ("framework",),
    "gpu": ("hardware",),
    "model": ("model",),
    "precision": ("precision",),
    "seq": ("isl", "osl"),
    "gpus": ("gpus",),
    "id": ("id",),
}
"""Sort keys over config columns; ``value``, ``change`` and ``changed`` are the others."""
SORT_KEYS = ("value", "change", "changed", *CONFIG_SORTS)


def _latest_value(metric: Metric, interactivity: float) -> ScalarSelect[float]:
    """Each config's latest sweep's value of one metric at one target, as a correlated scalar
    subquery: one primary-key lookup per matching config, never a join that scans the values of
    the whole history."""
    return (
        select(models.FrontierValue.value)
        .where(latest_value_of(metric, interactivity))
        .correlate(models.Config)
        .scalar_subquery()
    )


def _matching(filters: dict[str, Any], *columns: Any) -> Select[Any]:
    """``columns`` of the series matching ``filters``."""
    return (
        select(*columns).select_from(models.Config).where(*config_conditions(filters), in_history())
    )


def _sort_columns(
    key: str, value: ColumnElement[Any], newest_change: Subquery
) -> list[ColumnElement[Any]]:
    if key == "value":
        return [value]
    if key == "change":
        return [newest_change.c.relative_change]
    if key == "changed":
        return [newest_change.c.run_timestamp]
    return [models.Config.__table__.c[name] for name in CONFIG_SORTS[key]]


def sorted_slice(
    *,
    session: Session,
    filters: dict[str, Any],
    metric: Metric,
    interactivity: float,
    sort: str,
    offset: int,
    limit: int,
) -> list[SeriesValue]:
    """Series ``offset`` … ``offset + limit - 1`` of the matching ones in ``sort``'s order (one
    of `SORT_KEYS`, ``-`` before it for descending): series without a sort value last either
    way, ties by id."""
    key = sort.lstrip("-")
    names = tuple(CONFIG_FIELD_TYPES)
    value = _latest_value(metric, interactivity).label("value")
    query = _matching(
        filters,
        value,
        models.Config.latest_at,
        *(models.Config.__table__.c[name] for name in ("id", *names)),
    )
    newest_change = newest_change_per_config()
    if key in ("change", "changed"):
        query = query.outerjoin(newest_change, newest_change.c.config_id == models.Config.id)
    order = [
        (column.desc() if sort.startswith("-") else column.asc()).nulls_last()
        for column in _sort_columns(key, value, newest_change)
    ]
    rows = session.execute(
        query.order_by(*order, models.Config.id).offset(offset).limit(limit)
    ).all()
    return [
        SeriesValue(
            series_id=row[2],
            config=dict(zip(names, row[3:], strict=True)),
            value=row[0],
            latest_at=row[1],
        )
        for row in rows
    ]
