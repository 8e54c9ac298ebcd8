"""Alerts at ``/alerts`` and ``/alerts/{id}``: the list, and one alert's change points, a trend
chart per affected series, triage (the API's PATCH, sent from the browser) and the history."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from alerts.reads import get_alert, list_alerts
from tracker.api import schemas
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.query import choice_from
from tracker.api.dashboard.rendering import render
from tracker.api.deps import RowId, SessionDep, SettingsDep
from tracker.reads.changes import Change
from tracker.reads.pricing import PriceSet
from tracker.reads.trend import TrendMetric, trend
from tracker.vocabulary import TRIAGE_STATES, AlertKind, AlertState, ChangeState, Metric

router = page_router()

ALERTS_PER_PAGE = 50
MAX_TREND_CHARTS = 12
"""An alert over many series charts the most moved ones; its table lists every change."""


@router.get("/alerts", name="alerts")
def alerts_page(request: Request, session: SessionDep) -> HTMLResponse:
    params = request.query_params
    state_name = choice_from("state", params.get("state"), ("", *AlertState))
    kind_name = choice_from("kind", params.get("kind"), ("", *AlertKind))
    engine = params.get("engine", "").strip() or None
    page = list_alerts(
        session=session,
        state=AlertState(state_name) if state_name else None,
        kind=AlertKind(kind_name) if kind_name else None,
        engine=engine,
        limit=ALERTS_PER_PAGE,
        cursor=params.get("cursor") or None,
    )
    return render(
        request,
        "alerts.html",
        {
            "active": "alerts",
            "alerts": page.items,
            "next_cursor": page.next_cursor,
            "states": list(AlertState),
            "state": state_name,
            "kinds": list(AlertKind),
            "kind": kind_name,
            "engine": engine or "",
            "params": dict(params),
        },
    )


def charted_changes(changes: list[Change]) -> list[Change]:
    """Per affected series, its most moved confirmed change (tput/GPU preferred): the track
    whose trend the page draws. Most moved series first."""
    strongest: dict[int, Change] = {}
    for change in changes:
        if change.state is not ChangeState.CONFIRMED:
            continue
        rank = (change.metric is Metric.TPUT_PER_GPU, abs(change.relative_change))
        best = strongest.get(change.series_id)
        if best is None or rank > (best.metric is Metric.TPUT_PER_GPU, abs(best.relative_change)):
            strongest[change.series_id] = change
    return sorted(strongest.values(), key=lambda c: -abs(c.relative_change))


@router.get("/alerts/{alert_id}", name="alert")
def alert_page(
    alert_id: RowId, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    alert = get_alert(session=session, alert_id=alert_id)
    charted = charted_changes(alert.changes)[:MAX_TREND_CHARTS]
    trends: list[dict[str, Any]] = []
    for change in charted:
        track = trend(
            session=session,
            series_id=change.series_id,
            metric=TrendMetric(change.metric),
            interactivity=change.interactivity,
            price_set=PriceSet.HYPERSCALER,
            since=None,
            until=None,
            targets=settings.interactivity_targets,
        )
        trends.append({"change": change, "trend": track})
    changes_by_series: dict[int, list[Change]] = defaultdict(list)
    for change in alert.changes:
        changes_by_series[change.series_id].append(change)
    return render(
        request,
        "alert.html",
        {
            "active": "alerts",
            "alert": alert,
            "trends": trends,
            "series_count": len(changes_by_series),
            "changes_by_series": changes_by_series,
            "triage_states": TRIAGE_STATES,
            "data": {
                "alertId": alert.id,
                "trends": [
                    {
                        "trend": schemas.as_json(schemas.Trend, item["trend"]),
                        "metricLabel": f"{item['change'].metric} @ "
                        f"{item['change'].interactivity:g} tok/s/user",
                        "isCost": False,
                    }
                    for item in trends
                ],
            },
        },
    )
