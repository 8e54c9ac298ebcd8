"""Change points found by detection."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tracker import changes, models, views
from tracker.api.deps import SessionDep, SettingsDep, config_filters, read_access
from tracker.api.paging import Cursor, Limit, items_page
from tracker.series import require_target

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
    response_model=views.ItemsPage[views.ChangeView],
    summary="Change points, newest first",
    description=(
        "Confirmed change points unless `state=retracted` (retracted ones are listed only then). "
        "`since`/`until` bound the first changed run's timestamp; any config field filters."
    ),
)
def list_changes(
    session: SessionDep,
    settings: SettingsDep,
    filters: Annotated[dict[str, Any], Depends(config_filters(*CHANGE_PARAMETERS))],
    since: Annotated[datetime | None, Query(description="Inclusive lower bound.")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive upper bound.")] = None,
    direction: models.ChangeDirection | None = None,
    metric: models.Metric | None = None,
    interactivity: Annotated[
        float | None, Query(description="A target interactivity (tok/s/user).")
    ] = None,
    state: models.ChangeState = models.ChangeState.CONFIRMED,
    limit: Limit = 100,
    cursor: Cursor = None,
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
