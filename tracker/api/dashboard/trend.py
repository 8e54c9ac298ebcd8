"""A series' trend at ``/series/{id}``: one metric at one target interactivity over time, with
its change points, suspected changes, outlier nights and runs whose value failed requests
withheld."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from tracker.api import schemas
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.query import choice_from, target_from
from tracker.api.dashboard.rendering import render
from tracker.api.deps import SeriesId, SessionDep, SettingsDep
from tracker.reads.pricing import PriceSet, price_per_gpu_hour
from tracker.reads.series import require_series
from tracker.reads.trend import TrendMetric, trend

router = page_router()

METRIC_LABELS = {
    TrendMetric.TPUT_PER_GPU: "throughput per GPU (tok/s/GPU)",
    TrendMetric.OUTPUT_TPUT_PER_GPU: "output throughput per GPU (tok/s/GPU)",
    TrendMetric.MEDIAN_TTFT: "median TTFT (s; higher is worse)",
    TrendMetric.P99_TTFT: "p99 TTFT (s; higher is worse)",
    TrendMetric.JOULES_PER_TOKEN: "energy per output token (J; higher is worse)",
    TrendMetric.COST_PER_MTOK: "cost per million tokens (USD)",
}


@router.get("/series/{series_id}", name="series_trend")
def trend_page(
    series_id: SeriesId, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    params = request.query_params
    config = require_series(session, series_id)
    target = target_from(params.get("target"), settings.interactivity_targets)
    metric = TrendMetric(choice_from("metric", params.get("metric"), list(TrendMetric)))
    price_set = PriceSet(choice_from("price_set", params.get("price_set"), list(PriceSet)))
    series_trend = trend(
        session=session,
        series_id=series_id,
        metric=metric,
        interactivity=target,
        price_set=price_set,
        since=None,
        until=None,
        targets=settings.interactivity_targets,
    )
    points = series_trend.points
    return render(
        request,
        "trend.html",
        {
            "active": "explorer",
            "series_id": series_id,
            "config": config.as_dict(),
            "trend": series_trend,
            "targets": settings.interactivity_targets,
            "target": target,
            "metric": metric,
            "metric_labels": METRIC_LABELS,
            "price_set": price_set,
            "price_sets": list(PriceSet),
            "priced": price_per_gpu_hour(config, price_set) is not None,
            "latest_sweep_id": points[-1].sweep_id if points else None,
            "counts": {
                "points": len(points),
                "outliers": sum(point.outlier for point in points),
                "changes": len(series_trend.changes),
                "suspected": len(series_trend.suspected),
                "withheld": len(series_trend.withheld),
            },
            "data": {
                "trend": schemas.as_json(schemas.Trend, series_trend),
                "metricLabel": METRIC_LABELS[metric],
                "isCost": metric is TrendMetric.COST_PER_MTOK,
            },
        },
    )
