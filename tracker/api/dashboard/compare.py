"""Engines (on one GPU) or GPUs (with one engine) side by side at ``/compare``, at any
interactivity, with cost per million tokens and a trend sparkline per config."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tracker.api import schemas
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.query import (
    DEFAULT_TARGET,
    choice_from,
    config_filters_from,
    number_from,
)
from tracker.api.dashboard.rendering import render
from tracker.api.deps import SessionDep, SettingsDep
from tracker.errors import FieldError, InvalidQuery
from tracker.reads.compare import REQUIRED_FIELDS, CompareItem, compare
from tracker.reads.facets import config_field_values
from tracker.reads.pagination import MAX_LIMIT
from tracker.reads.pricing import PriceSet
from tracker.reads.trend import TrendMetric, trend

router = page_router()

MODES = ("engines", "gpus")
FIXED_FIELD = {"engines": "hardware", "gpus": "framework"}
"""What stays fixed in each mode: the GPU when engines are compared, the engine for GPUs."""
FORM_FIELDS = (*REQUIRED_FIELDS, "hardware", "framework")


def nearest_target(interactivity: float, targets: tuple[float, ...]) -> float:
    """Trends exist only at the targets: sparklines use the one nearest the slider."""
    return min(targets, key=lambda target: abs(target - interactivity))


def sparklines(
    *, session: Session, items: list[CompareItem], target: float, targets: tuple[float, ...]
) -> dict[str, list[list[float]]]:
    """Each config's tput/GPU trend at ``target``, by series id: ``[[epoch ms, value], …]``."""
    lines = {}
    for item in items:
        series_trend = trend(
            session=session,
            series_id=item.series_id,
            metric=TrendMetric.TPUT_PER_GPU,
            interactivity=target,
            price_set=PriceSet.HYPERSCALER,
            since=None,
            until=None,
            targets=targets,
        )
        lines[str(item.series_id)] = [
            [point.timestamp.timestamp() * 1000, round(point.value, 1)]
            for point in series_trend.points
        ]
    return lines


def _by_throughput(item: CompareItem) -> tuple[bool, float]:
    return (item.tput_per_gpu is None, -(item.tput_per_gpu or 0.0))


@router.get("/compare", name="compare")
def compare_page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    params = request.query_params
    mode = choice_from("mode", params.get("mode"), MODES)
    filters = config_filters_from(params)
    # The other mode's fixed field stays in the URL, so switching back restores it.
    filters.pop(FIXED_FIELD["gpus" if mode == "engines" else "engines"], None)
    interactivity = number_from("interactivity", params.get("interactivity")) or DEFAULT_TARGET
    if interactivity <= 0:
        raise InvalidQuery(
            [FieldError(loc=("query", "interactivity"), msg="interactivity must be positive")]
        )
    targets = settings.interactivity_targets
    missing = [name for name in (*REQUIRED_FIELDS, FIXED_FIELD[mode]) if name not in filters]
    items: list[CompareItem] = []
    lines: dict[str, list[list[float]]] = {}
    if not missing:
        page = compare(
            session=session,
            filters=filters,
            interactivity=interactivity,
            limit=MAX_LIMIT,
            cursor=None,
        )
        items = sorted(page.items, key=_by_throughput)
        lines = sparklines(
            session=session,
            items=items,
            target=nearest_target(interactivity, targets),
            targets=targets,
        )
    api_filters: dict[str, Any] = {
        name: str(value).lower() if isinstance(value, bool) else value
        for name, value in filters.items()
    }
    return render(
        request,
        "compare.html",
        {
            "active": "compare",
            "mode": mode,
            "fixed_field": FIXED_FIELD[mode],
            "filters": filters,
            "facets": config_field_values(session=session, fields=FORM_FIELDS),
            "missing": missing,
            "interactivity": interactivity,
            "slider_range": (min(5.0, targets[0]), max(targets)),
            "items": items,
            "price_sets": list(PriceSet),
            "data": {
                "mode": mode,
                "apiFilters": api_filters,
                "interactivity": interactivity,
                "targets": targets,
                "sparklineTarget": nearest_target(interactivity, targets),
                "items": [schemas.as_json(schemas.CompareItem, item) for item in items],
                "sparklines": lines,
            },
        },
    )
