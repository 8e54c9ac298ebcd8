"""Change points found by detection."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tracker.api import answers, schemas
from tracker.api.deps import (
    Limit,
    MomentCursor,
    SessionDep,
    SettingsDep,
    Since,
    Until,
    config_filters,
    read_access,
)
from tracker.api.schemas import items_page
from tracker.reads import changes
from tracker.reads.trend import require_target
from tracker.vocabulary import ChangeDirection, ChangeState, Metric

router = APIRouter(prefix="/api/v1", tags=["changes"], dependencies=[Depends(read_access)])

CHANGE_PARAMETERS = (
    "since",
    "until",
    "direction",
    "metric",
    "interactivity",
    "state",
    "limit",
    "cursor",
)


@router.get(
    "/changes",
    response_model=schemas.ItemsPage[schemas.ChangeView],
    summary="Change points, newest first",
    description=(
        "Confirmed change points unless `state=retracted` (retracted ones are listed only then). "
        "`since`/`until` bound the first changed run's timestamp; any config field filters."
    ),
    responses=answers.READ,
)
def list_changes(
    session: SessionDep,
    settings: SettingsDep,
    filters: Annotated[dict[str, Any], Depends(config_filters(*CHANGE_PARAMETERS))],
    since: Since = None,
    until: Until = None,
    direction: ChangeDirection | None = None,
    metric: Metric | None = None,
    interactivity: Annotated[
        float | None, Query(description="A target interactivity (tok/s/user).")
    ] = None,
    state: ChangeState = ChangeState.CONFIRMED,
    limit: Limit = 100,
    cursor: MomentCursor = None,
) -> dict[str, Any]:
    if interactivity is not None:
        require_target(interactivity, settings.interactivity_targets)
    return items_page(
        changes.list_changes(
            session=session,
            filters=filters,
            state=state,
            direction=direction,
            metric=metric,
            interactivity=interactivity,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
    )
