"""Reads of change points: the filtered list, a track's changes, each series' latest change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tracker import models, views
from tracker.config_rows import config_conditions, config_view
from tracker.pagination import Page, newest_first


def change_view(change: models.ChangePoint, config: models.Config) -> views.ChangeView:
    return views.ChangeView(
        id=change.id,
        series_id=change.config_id,
        config=config_view(config),
        metric=change.metric.value,
        interactivity=change.interactivity,
        direction=change.direction.value,
        run_timestamp=change.run_timestamp,
        sweep_id=change.sweep_id,
        before=change.before,
        after=change.after,
        relative_change=change.relative_change,
        p_value=change.p_value,
        commit_range=views.CommitRange(
            from_=change.commit_from, to=change.commit_to, compare_url=change.compare_url
        ),
        components_changed=change.components_changed,
        state=change.state.value,
        alert_id=change.alert_id,
    )


def _with_configs() -> Select[models.ChangePoint, models.Config]:
    return select(models.ChangePoint, models.Config).join(
        models.Config, models.Config.id == models.ChangePoint.config_id
    )


def list_changes(
    *,
    session: Session,
    filters: dict[str, Any],
    state: models.ChangeState,
    direction: models.ChangeDirection | None,
    metric: models.Metric | None,
    interactivity: float | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[views.ChangeView]:
    """Change points newest first (by first changed run); ``since``/``until`` bound that run."""
    query = _with_configs().where(models.ChangePoint.state == state, *config_conditions(filters))
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
        items=[change_view(change, config) for change, config in page.items],
        next_cursor=page.next_cursor,
    )


def track_changes(
    *, session: Session, config_id: int, metric: models.Metric, interactivity: float
) -> list[views.ChangeView]:
    """A track's confirmed change points, oldest first."""
    rows = session.execute(
        _with_configs()
        .where(
            models.ChangePoint.config_id == config_id,
            models.ChangePoint.metric == metric,
            models.ChangePoint.interactivity == interactivity,
            models.ChangePoint.state == models.ChangeState.CONFIRMED,
        )
        .order_by(models.ChangePoint.run_timestamp, models.ChangePoint.id)
    ).all()
    return [change_view(change, config) for change, config in rows]


def latest_changes(*, session: Session, config_ids: Sequence[int]) -> dict[int, views.ChangeView]:
    """Each series' newest confirmed change point, of any metric or target, not suppressed."""
    if not config_ids:
        return {}
    ranked = (
        select(
            models.ChangePoint.id,
            func.row_number()
            .over(
                partition_by=models.ChangePoint.config_id,
                order_by=(models.ChangePoint.run_timestamp.desc(), models.ChangePoint.id.desc()),
            )
            .label("rank"),
        )
        .outerjoin(models.Alert, models.Alert.id == models.ChangePoint.alert_id)
        .where(
            models.ChangePoint.config_id.in_(config_ids),
            models.ChangePoint.state == models.ChangeState.CONFIRMED,
            # An alert marked invalid suppresses its changes (DESIGN §8).
            models.Alert.id.is_(None) | (models.Alert.state != models.AlertState.INVALID),
        )
        .subquery()
    )
    rows = session.execute(
        _with_configs().join(ranked, ranked.c.id == models.ChangePoint.id).where(ranked.c.rank == 1)
    ).all()
    return {change.config_id: change_view(change, config) for change, config in rows}
