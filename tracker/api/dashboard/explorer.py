"""The series explorer at ``/``: every series matching config filters, with its latest
throughput at one target interactivity and its last change, sortable, the state in the URL."""

from __future__ import annotations

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
from tracker.reads.facets import Facet, config_field_facets
from tracker.reads.latest_table import SORT_KEYS, sorted_slice
from tracker.reads.series import SeriesValue
from tracker.vocabulary import Metric

router = page_router()

ROWS_PER_PAGE = 100
CHART_SERIES = 500
"""The chart draws the first this many series of the table's order; past it, the page says how
many more match and offers links that narrow the filter."""
NARROWING_FIELDS = ("hardware", "framework", "model", "precision", "isl")
"""The fields a broad view is split by, in order: the first whose matching series take more than
one value."""
NARROWING_LINKS = 20
"""At most this many narrowing links (the values with the most series)."""
SORTS = tuple(f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-"))
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


def with_last_changes(session: Session, values: list[SeriesValue]) -> list[ExplorerRow]:
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


def slice_label(config: dict[str, Any]) -> str:
    """What a chart point's tooltip adds to its engine and GPU: "dsr1 FP8 1k/1k · TP8"."""
    return (
        f"{dimensions.model(config)} {dimensions.precision(config)} "
        f"{dimensions.sequence_lengths(config)} · {dimensions.parallelism(config)}"
    )


def chart_points(rows: list[SeriesValue]) -> dict[str, Any]:
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


@dataclass(frozen=True)
class ExplorerView:
    """What one explorer page shows: its rows, the chart's first series in the same order, the
    filter menus, and how many series match, counted by the field a broad view is narrowed by."""

    rows: list[ExplorerRow]
    chart: list[SeriesValue]
    facets: dict[str, list[Facet]]
    series: int
    page_number: int
    page_count: int

    @property
    def narrow_by(self) -> str | None:
        """The first of `NARROWING_FIELDS` that splits the matching series, when the chart
        cannot draw them all."""
        if self.series <= len(self.chart):
            return None
        return next((name for name in NARROWING_FIELDS if len(self._matching(name)) > 1), None)

    @property
    def narrowing(self) -> list[Facet]:
        """The values of ``narrow_by`` with the most matching series, most first."""
        if self.narrow_by is None:
            return []
        found = sorted(self._matching(self.narrow_by), key=lambda facet: -facet.matching)
        return found[:NARROWING_LINKS]

    @property
    def narrowing_values(self) -> int:
        """How many values of ``narrow_by`` the matching series take (links show the first)."""
        return 0 if self.narrow_by is None else len(self._matching(self.narrow_by))

    def _matching(self, name: str) -> list[Facet]:
        return [facet for facet in self.facets[name] if facet.matching]


def explorer_view(
    *,
    session: Session,
    filters: dict[str, Any],
    metric: Metric,
    target: float,
    sort: str,
    page: int,
) -> ExplorerView:
    """The page's rows and chart, sorted and cut in the database: a page reads one ordered pass
    over the matching series and one over the configs for the menus and counts, never every
    series into Python."""
    facets = config_field_facets(session=session, fields=list(FIELD_LABELS), filters=filters)
    series = sum(facet.matching for facet in facets[NARROWING_FIELDS[0]])
    page_count = max(-(-series // ROWS_PER_PAGE), 1)
    page = min(page, page_count)
    start = (page - 1) * ROWS_PER_PAGE

    def cut(offset: int, limit: int) -> list[SeriesValue]:
        return sorted_slice(
            session=session,
            filters=filters,
            metric=metric,
            interactivity=target,
            sort=sort,
            offset=offset,
            limit=limit,
        )

    chart = cut(0, CHART_SERIES)
    rows = chart[start : start + ROWS_PER_PAGE]
    if start + ROWS_PER_PAGE > len(chart) == CHART_SERIES:
        rows = cut(start, ROWS_PER_PAGE)
    return ExplorerView(
        rows=with_last_changes(session, rows),
        chart=chart,
        facets=facets,
        series=series,
        page_number=page,
        page_count=page_count,
    )


@router.get("/", name="explorer")
def explorer(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    params = request.query_params
    filters = config_filters_from(params)
    target = target_from(params.get("target"), settings.interactivity_targets)
    metric = choice_from("metric", params.get("metric"), METRICS)
    sort = choice_from("sort", params.get("sort"), ("-value", *SORTS))
    page_number = max(int(number_from("page", params.get("page")) or 1), 1)
    view = explorer_view(
        session=session,
        filters=filters,
        metric=Metric(metric),
        target=target,
        sort=sort,
        page=page_number,
    )
    state = {name: value for name, value in params.items() if name != "page"}
    facets = {name: [facet.value for facet in found] for name, found in view.facets.items()}
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
            "rows": view.rows,
            "row_count": view.series,
            "with_value": sum(row.value is not None for row in view.chart),
            "page_number": view.page_number,
            "page_count": view.page_count,
            "chart": chart_points(view.chart),
            "chart_series": len(view.chart),
            "narrow_by": view.narrow_by,
            "narrowing": view.narrowing,
            "narrowing_values": view.narrowing_values,
        },
    )
