"""Reads of change points: the filtered list, a track's changes, each series' latest change.

`changes_with_configs` is the one query of change points with their configs; every read of
change points (here, alerts, digests) starts from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, Subquery, func, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.fields import ConfigValue
from tracker.reads.filters import config_conditions
from tracker.reads.pagination import Page, newest_first
from tracker.vocabulary import AlertState, ChangeDirection, ChangeState, Metric


@dataclass(frozen=True)
class CommitRange:
    """The commits that may have caused a change: after `from_`, up to `to` (commits, or images
    when a run has none), with a compare link; `runs_after` and `runs_through` are the times of
    those two runs."""

    from_: str | None
    to: str | None
    compare_url: str | None
    runs_after: datetime
    runs_through: datetime


@dataclass(frozen=True)
class Change:
    """A change point as reads show it, with its series' config."""

    id: int
    series_id: int
    config: dict[str, ConfigValue]
    metric: Metric
    interactivity: float
    direction: ChangeDirection
    run_timestamp: datetime
    sweep_id: int
    before: float
    after: float
    relative_change: float
    p_value: float
    commit_range: CommitRange
    components_changed: dict[str, list[str | None]]
    state: ChangeState
    alert_id: int | None


def change_of(change: models.ChangePoint, config: models.Config) -> Change:
    return Change(
        id=change.id,
        series_id=change.config_id,
        config=config.as_dict(),
        metric=change.metric,
        interactivity=change.interactivity,
        direction=change.direction,
        run_timestamp=change.run_timestamp,
        sweep_id=change.sweep_id,
        before=change.before,
        after=change.after,
        relative_change=change.relative_change,
        p_value=change.p_value,
        commit_range=CommitRange(
            from_=change.commit_from,
            to=change.commit_to,
            compare_url=change.compare_url,
            runs_after=change.range_start_timestamp,
            runs_through=change.range_end_timestamp,
        ),
        components_changed=change.components_changed,
        state=change.state,
        alert_id=change.alert_id,
    )


def changes_with_configs() -> Select[models.ChangePoint, models.Config]:
    """Change points, each with its config: the query every change-point read refines."""
    return select(models.ChangePoint, models.Config).join(
        models.Config, models.Config.id == models.ChangePoint.config_id
    )


NOT_SUPPRESSED: ColumnElement[bool] = models.Alert.id.is_(None) | (
    models.Alert.state != AlertState.INVALID
)
"""For a query outer-joined to the change's alert: an alert marked invalid suppresses its
changes (docs/alerts.md#triage-states)."""


Columns = TypeVarTuple("Columns")


def with_alert(query: Select[*Columns]) -> Select[*Columns]:
    """``query`` outer-joined to each change point's alert (for `NOT_SUPPRESSED`)."""
    return query.outerjoin(models.Alert, models.Alert.id == models.ChangePoint.alert_id)


def list_changes(
    *,
    session: Session,
    filters: dict[str, Any],
    state: ChangeState,
    direction: ChangeDirection | None,
    metric: Metric | None,
    interactivity: float | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Change]:
    """Change points newest first (by first changed run); ``since``/``until`` bound that run."""
    query = changes_with_configs().where(
        models.ChangePoint.state == state, *config_conditions(filters)
    )
    if direction is not None:
        query = query.where(models.ChangePoint.direction == direction)
    if metric is not None:
        query = query.where(models.ChangePoint.metric == metric)
    if interactivity is not None:
        query = query.where(models.ChangePoint.interactivity == interactivity)
    page = newest_first(
        session=session,
        query=query,
        timestamp=models.ChangePoint.run_timestamp,
        key=models.ChangePoint.id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[change_of(change, config) for change, config in page.items],
        next_cursor=page.next_cursor,
    )


def track_changes(
    *, session: Session, config_id: int, metric: Metric, interactivity: float
) -> list[Change]:
    """A track's confirmed change points, oldest first."""
    rows = session.execute(
        changes_with_configs()
        .where(
            models.ChangePoint.config_id == config_id,
            models.ChangePoint.metric == metric,
            models.ChangePoint.interactivity == interactivity,
            models.ChangePoint.state == ChangeState.CONFIRMED,
        )
        .order_by(models.ChangePoint.run_timestamp, models.ChangePoint.id)
    ).all()
    return [change_of(change, config) for change, config in rows]


def newest_change_per_config(config_ids: Sequence[int] | None = None) -> Subquery:
    """Each config's newest confirmed change point, of any metric or target, not suppressed:
    ``config_id``, ``id``, ``relative_change``, ``run_timestamp`` (only ``config_ids``' when
    given)."""
    point = models.ChangePoint
    ranked = with_alert(
        select(
            point.config_id,
            point.id,
            point.relative_change,
            point.run_timestamp,
            func.row_number()
            .over(
                partition_by=point.config_id,
                order_by=(point.run_timestamp.desc(), point.id.desc()),
            )
            .label("rank"),
        )
    ).where(point.state == ChangeState.CONFIRMED, NOT_SUPPRESSED)
    if config_ids is not None:
        ranked = ranked.where(point.config_id.in_(config_ids))
    newest = ranked.subquery()
    return (
        select(newest.c.config_id, newest.c.id, newest.c.relative_change, newest.c.run_timestamp)
        .where(newest.c.rank == 1)
        .subquery()
    )


def latest_changes(*, session: Session, config_ids: Sequence[int]) -> dict[int, Change]:
    """Each series' newest confirmed change point, of any metric or target, not suppressed."""
    if not config_ids:
        return {}
    newest = newest_change_per_config(config_ids)
    rows = session.execute(
        changes_with_configs().join(newest, newest.c.id == models.ChangePoint.id)
    ).all()
    return {change.config_id: change_of(change, config) for change, config in rows}
