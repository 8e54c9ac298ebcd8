"""Engines (on one GPU) or GPUs (with one engine) side by side at ``/compare``, at any
interactivity, with cost per million tokens and a trend sparkline per config."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from alerts.messages import dimensions
from tracker.api import schemas
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.query import (
    DEFAULT_TARGET,
    choice_from,
    config_filters_from,
    number_from,
    target_from,
)
from tracker.api.dashboard.rendering import query_url, render
from tracker.api.deps import SessionDep, SettingsDep
from tracker.errors import FieldError, InvalidQuery
from tracker.reads.compare import REQUIRED_FIELDS, CompareItem, compare
from tracker.reads.facets import config_field_values
from tracker.reads.pagination import MAX_LIMIT
from tracker.reads.pricing import PriceSet
from tracker.reads.series import latest_values
from tracker.reads.sweeps import get_sweep
from tracker.reads.trend import TrendMetric, trend
from tracker.vocabulary import Metric

router = page_router()

MODES = ("engines", "gpus")
FIXED_FIELD = {"engines": "hardware", "gpus": "framework"}
"""What stays fixed in each mode: the GPU when engines are compared, the engine for GPUs."""
COMPARED_FIELD = {"engines": "framework", "gpus": "hardware"}
FORM_FIELDS = (*REQUIRED_FIELDS, "hardware", "framework")
FIELD_LABELS = {
    "model": "model",
    "precision": "precision",
    "isl": "ISL",
    "osl": "OSL",
    "hardware": "GPU",
    "framework": "engine",
}
"""The form's fields as the explorer and the tables name them."""


def best_covered_slice(*, session: Session, mode: str, target: float) -> dict[str, Any] | None:
    """The model × precision × ISL/OSL × GPU (or engine) where the most engines (or GPUs) have
    a latest value at ``target``; more configs, then the first in order, break ties. None on
    an empty tracker."""
    fields = (*REQUIRED_FIELDS, FIXED_FIELD[mode])
    compared: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
    configs: dict[tuple[Any, ...], int] = defaultdict(int)
    values = latest_values(
        session=session, filters={}, metric=Metric.TPUT_PER_GPU, interactivity=target
    )
    for value in values:
        if value.value is None:
            continue
        key = tuple(value.config[name] for name in fields)
        compared[key].add(value.config[COMPARED_FIELD[mode]])
        configs[key] += 1
    if not compared:
        return None
    best = min(compared, key=lambda key: (-len(compared[key]), -configs[key], str(key)))
    return dict(zip(fields, best, strict=True))


def model_labels(*, session: Session) -> dict[str, str]:
    """Each stored model's short name as the other pages show it ("dsr1")."""
    values = latest_values(
        session=session, filters={}, metric=Metric.TPUT_PER_GPU, interactivity=DEFAULT_TARGET
    )
    return {str(v.config["model"]): dimensions.model(v.config) for v in values}


def bar_label(item: CompareItem, mode: str) -> str:
    """ "sglang · TP8 EP8 DPA wide-EP · MTP": what tells the configs of a slice apart."""
    config = item.config
    compared = config["framework"] if mode == "engines" else dimensions.hardware(config)
    parts = [str(compared), dimensions.parallelism(config)]
    if dimensions.spec_method(config) != "none":
        parts.append(dimensions.spec_method(config))
    return " · ".join(parts)


def front_spans(*, session: Session, items: list[CompareItem]) -> dict[str, list[float]]:
    """The interactivity each config's latest front spans, by series id: outside it the
    config has no value, and the page says so."""
    spans = {}
    for item in items:
        if item.sweep_id is None:
            continue
        front = [
            point.median_intvty
            for point in get_sweep(session=session, sweep_id=item.sweep_id).points
            if point.on_front
        ]
        if front:
            spans[str(item.series_id)] = [min(front), max(front)]
    return spans


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
def compare_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    params = request.query_params
    mode = choice_from("mode", params.get("mode"), MODES)
    if not any(params.get(name) for name in FORM_FIELDS):
        # A bare /compare opens on the slice with the most to compare, in a shareable URL.
        targets = settings.interactivity_targets
        best = best_covered_slice(session=session, mode=mode, target=target_from(None, targets))
        if best is not None:
            return RedirectResponse(query_url("/compare", params, mode=mode, **best), 303)
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
    facets = config_field_values(session=session, fields=FORM_FIELDS)
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
            "facets": facets,
            "empty": not facets["hardware"],
            "base_url": str(request.base_url).rstrip("/"),
            "field_labels": FIELD_LABELS,
            "model_labels": model_labels(session=session),
            "missing": [FIELD_LABELS[name] for name in missing],
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
                "fronts": front_spans(session=session, items=items),
                "labels": {str(item.series_id): bar_label(item, mode) for item in items},
            },
        },
    )
