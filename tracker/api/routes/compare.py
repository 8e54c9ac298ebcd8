"""Engines or GPUs side by side at one interactivity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tracker.api import answers, schemas
from tracker.api.deps import IdCursor, Limit, SessionDep, config_filters, read_access
from tracker.api.schemas import items_page
from tracker.reads import compare

router = APIRouter(prefix="/api/v1", tags=["compare"], dependencies=[Depends(read_access)])


@router.get(
    "/compare",
    response_model=schemas.ItemsPage[schemas.CompareItem],
    summary="Configs side by side at any interactivity, from each one's latest sweep",
    description=(
        "Needs model, precision, isl and osl, plus hardware (engines side by side) or "
        "framework (GPUs side by side); any other config field narrows further."
    ),
    responses=answers.READ,
)
def get_compare(
    session: SessionDep,
    filters: Annotated[dict[str, Any], Depends(config_filters("interactivity", "limit", "cursor"))],
    interactivity: Annotated[float, Query(gt=0, description="tok/s/user; any value.")],
    limit: Limit = 100,
    cursor: IdCursor = None,
) -> dict[str, Any]:
    return items_page(
        compare.compare(
            session=session,
            filters=filters,
            interactivity=interactivity,
            limit=limit,
            cursor=cursor,
        )
    )
