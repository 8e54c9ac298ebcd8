"""The series explorer at ``/``: every series matching config filters, with its latest
throughput at one target interactivity and its last change, sortable, the state in the URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from alerts.messages import dimensions
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.query import choice_from, config_filters_from, number_from, target_from
from tracker.api.dashboard.rendering import render
from tracker.api.dashboard.trend import METRIC_LABELS
from tracker.api.deps import SessionDep, SettingsDep
from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.reads.changes import Change, latest_changes
from tracker.reads.facets import config_field_values
from tracker.reads.series import SeriesValue, latest_values
from tracker.vocabulary import Metric

router = page_router()

ROWS_PER_PAGE = 100
METRICS = tuple(Metric)
FIELD_LABELS = {
    "model": "model",
    "hardware": "GPU",
    "framework": "engine",
    "precision": "precision",
    "isl": "ISL",
    "osl": "OSL",
    "spec_method": "spec decoding",
    "disagg": "disagg",
    "wide_ep": "wide-EP",
    "is_multinode": "multi-node",
    "gpus": "GPUs",
    "tp": "TP",
    "ep": "EP",
    "dp_attention": "DP attention",
}
"""The filters offered as menus of the values stored; every other config field is a text box."""
MORE_FILTERS = tuple(name for name in CONFIG_FIELD_TYPES if name not in FIELD_LABELS)


@dataclass(frozen=True)
class ExplorerRow(SeriesValue):
    last_change: Change | None


SORT_KEYS: dict[str, Callable[[ExplorerRow], Any]] = {
    "value": lambda row: row.value,
    "change": lambda row: row.last_change.relative_change if row.last_change else None,
    "changed": lambda row: row.last_change.run_timestamp if row.last_change else None,
    "latest": lambda row: row.latest_at,
    "engine": lambda row: row.config["framework"],
    "gpu": lambda row: row.config["hardware"],
    "model": lambda row: row.config["model"],
    "precision": lambda row: row.config["precision"],
    "seq": lambda row: (row.config["isl"], row.config["osl"]),
    "gpus": lambda row: row.config["gpus"],
    "id": lambda row: row.series_id,
}
SORTS = tuple(f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-"))


def explorer_rows(
    *, session: Session, filters: dict[str, Any], metric: str, target: float
) -> list[ExplorerRow]:
    """Every matching series (the explorer sorts over all of them, not one API page)."""
    values = latest_values(
        session=session, filters=filters, metric=Metric(metric), interactivity=target
    )
    changes = latest_changes(session=session, config_ids=[v.series_id for v in values])
    return [
        ExplorerRow(
            series_id=value.series_id,
            config=value.config,
            value=value.value,
            latest_at=value.latest_at,
            last_change=changes.get(value.series_id),
        )
        for value in values
    ]


def sorted_rows(rows: list[ExplorerRow], sort: str) -> list[ExplorerRow]:
    """Rows by the sort key (``-`` for descending); rows without a value go last either way."""
    key = SORT_KEYS[sort.lstrip("-")]
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    return sorted(present, key=key, reverse=sort.startswith("-")) + missing


def slice_label(config: dict[str, Any]) -> str:
    """What a chart point's tooltip adds to its engine and GPU: "dsr1 FP8 1k/1k · TP8"."""
    return (
        f"{dimensions.model(config)} {dimensions.precision(config)} "
        f"{dimensions.sequence_lengths(config)} · {dimensions.parallelism(config)}"
    )


def chart_points(rows: list[ExplorerRow]) -> dict[str, Any]:
    """Compact chart data, so that 5,000 series stay small: one ``[series id, engine index,
    GPU index, value, label index]`` per series with a value, and the distinct labels once."""
    shown = [row for row in rows if row.value is not None]
    engines = {name: i for i, name in enumerate(sorted({r.config["framework"] for r in shown}))}
    gpus = {name: i for i, name in enumerate(sorted({r.config["hardware"] for r in shown}))}
    labels: dict[str, int] = {}
    points = []
    for row in shown:
        label = slice_label(row.config)
        points.append(
            [
                row.series_id,
                engines[row.config["framework"]],
                gpus[row.config["hardware"]],
                round(row.value or 0.0, 1),
                labels.setdefault(label, len(labels)),
            ]
        )
    return {
        "engines": list(engines),
        "gpus": [gpu.upper() for gpu in gpus],
        "labels": list(labels),
        "points": points,
    }


@router.get("/", name="explorer")
def explorer(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    params = request.query_params
    filters = config_filters_from(params)
    target = target_from(params.get("target"), settings.interactivity_targets)
    metric = choice_from("metric", params.get("metric"), METRICS)
    sort = choice_from("sort", params.get("sort"), ("-value", *SORTS))
    page_number = max(int(number_from("page", params.get("page")) or 1), 1)

    rows = explorer_rows(session=session, filters=filters, metric=metric, target=target)
    ordered = sorted_rows(rows, sort)
    page_count = max((len(ordered) + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE, 1)
    page_number = min(page_number, page_count)
    start = (page_number - 1) * ROWS_PER_PAGE
    state = {name: value for name, value in params.items() if name != "page"}
    facets = config_field_values(session=session, fields=list(FIELD_LABELS))
    return render(
        request,
        "explorer.html",
        {
            "active": "explorer",
            "state": state,
            "filters": filters,
            "field_labels": FIELD_LABELS,
            "facets": facets,
            "empty": not facets["hardware"],
            "base_url": str(request.base_url).rstrip("/"),
            "more_filters": MORE_FILTERS,
            "targets": settings.interactivity_targets,
            "target": target,
            "metric": metric,
            "metrics": METRICS,
            "metric_labels": METRIC_LABELS,
            "sort": sort,
            "rows": ordered[start : start + ROWS_PER_PAGE],
            "row_count": len(ordered),
            "with_value": sum(row.value is not None for row in ordered),
            "page_number": page_number,
            "page_count": page_count,
            "chart": chart_points(ordered),
        },
    )
