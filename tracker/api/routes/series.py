"""Series (configs' histories): the filtered list, trends, and their sweeps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tracker.api import answers, schemas
from tracker.api.deps import (
    IdCursor,
    Limit,
    MomentCursor,
    RowId,
    SeriesId,
    SessionDep,
    SettingsDep,
    Since,
    Until,
    config_filters,
    read_access,
)
from tracker.api.schemas import items_page
from tracker.reads import series, sweeps, trend
from tracker.reads.pricing import PriceSet

router = APIRouter(prefix="/api/v1", tags=["series"], dependencies=[Depends(read_access)])


@router.get(
    "/series",
    response_model=schemas.ItemsPage[schemas.SeriesItem],
    summary="Series matching any config fields, with their latest frontier values",
    responses=answers.READ,
)
def list_series(
    session: SessionDep,
    filters: Annotated[dict[str, Any], Depends(config_filters("limit", "cursor"))],
    limit: Limit = 100,
    cursor: IdCursor = None,
) -> dict[str, Any]:
    return items_page(
        series.list_series(session=session, filters=filters, limit=limit, cursor=cursor)
    )


@router.get(
    "/series/{series_id}/trend",
    response_model=schemas.Trend,
    summary="A track over time: one metric at one target interactivity",
    responses=answers.READ_ONE,
)
def get_trend(
    series_id: SeriesId,
    session: SessionDep,
    settings: SettingsDep,
    interactivity: Annotated[
        float, Query(description="A target interactivity (tok/s/user), one of the settings'.")
    ],
    metric: trend.TrendMetric = trend.TrendMetric.TPUT_PER_GPU,
    price_set: Annotated[
        PriceSet, Query(description="Price set for cost_per_mtok.")
    ] = PriceSet.HYPERSCALER,
    since: Since = None,
    until: Until = None,
) -> trend.Trend:
    return trend.trend(
        session=session,
        series_id=series_id,
        metric=metric,
        interactivity=interactivity,
        price_set=price_set,
        since=since,
        until=until,
        targets=settings.interactivity_targets,
    )


@router.get(
    "/series/{series_id}/sweeps",
    response_model=schemas.ItemsPage[schemas.SweepView],
    summary="A series' sweeps, newest first",
    responses=answers.READ_ONE,
)
def list_sweeps(
    series_id: SeriesId,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    cursor: MomentCursor = None,
) -> dict[str, Any]:
    return items_page(
        sweeps.list_sweeps(
            session=session,
            series_id=series_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
    )


@router.get(
    "/sweeps/{sweep_id}",
    response_model=schemas.SweepView,
    summary="One sweep",
    responses=answers.READ_ONE,
)
def get_sweep(sweep_id: RowId, session: SessionDep) -> sweeps.SweepDetail:
    return sweeps.get_sweep(session=session, sweep_id=sweep_id)
