"""A sweep's Pareto front at ``/sweeps/{id}``, overlaid with an earlier run's front.

The earlier run comes from ``overlay``: ``last-change`` (the run before the series' latest
change point), ``before:<ISO time>`` (the newest run before that moment), or a sweep id; or
from ``date`` (the newest run on or before that day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tracker.api import schemas
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.rendering import render
from tracker.api.deps import RowId, SessionDep
from tracker.clock import as_utc
from tracker.db.types import BIG_INTEGER_MAX
from tracker.errors import FieldError, InvalidQuery
from tracker.reads.changes import latest_changes
from tracker.reads.series import require_series
from tracker.reads.sweeps import SweepDetail, get_sweep, list_sweeps

router = page_router()


def _bad_overlay(message: str) -> InvalidQuery:
    return InvalidQuery([FieldError(loc=("query", "overlay"), msg=message)])


def newest_sweep_before(session: Session, series_id: int, moment: datetime) -> SweepDetail | None:
    page = list_sweeps(
        session=session, series_id=series_id, since=None, until=moment, limit=1, cursor=None
    )
    return page.items[0] if page.items else None


def overlay_sweep(
    *, session: Session, sweep: SweepDetail, overlay: str, day: str
) -> tuple[SweepDetail | None, str]:
    """The earlier sweep to draw beside ``sweep``, and how it was chosen (for the page)."""
    if day:
        try:
            end_of_day = datetime.combine(date.fromisoformat(day), time(), UTC) + timedelta(1)
        except ValueError:
            raise _bad_overlay(f"date must be YYYY-MM-DD, got {day!r}") from None
        return newest_sweep_before(session, sweep.series_id, end_of_day), f"on or before {day}"
    if overlay == "last-change":
        change = latest_changes(session=session, config_ids=[sweep.series_id]).get(sweep.series_id)
        if change is None:
            return None, "no change point in this series yet"
        earlier = newest_sweep_before(session, sweep.series_id, change.run_timestamp)
        return earlier, f"before the last change ({change.run_timestamp:%Y-%m-%d})"
    if overlay.startswith("before:"):
        try:
            moment = datetime.fromisoformat(overlay.removeprefix("before:"))
        except ValueError:
            raise _bad_overlay(f"before: needs an ISO time, got {overlay!r}") from None
        earlier = newest_sweep_before(session, sweep.series_id, as_utc(moment))
        return earlier, "the run before the change"
    if overlay.isdigit() and int(overlay) <= BIG_INTEGER_MAX:
        return get_sweep(session=session, sweep_id=int(overlay)), "chosen run"
    if overlay:
        raise _bad_overlay("overlay is last-change, before:<ISO time> or a sweep id")
    return None, ""


def front_changes(
    current: SweepDetail, earlier: SweepDetail | None
) -> list[tuple[str, float | None, float | None]]:
    """(target label, earlier value, current value) of tput/GPU at every target either has."""
    now = current.frontier.tput_per_gpu
    before = earlier.frontier.tput_per_gpu if earlier else {}
    labels = sorted(set(now) | set(before), key=float)
    return [(label, before.get(label), now.get(label)) for label in labels]


@router.get("/sweeps/{sweep_id}", name="sweep")
def sweep_page(sweep_id: RowId, request: Request, session: SessionDep) -> HTMLResponse:
    params = request.query_params
    sweep = get_sweep(session=session, sweep_id=sweep_id)
    config = require_series(session, sweep.series_id).as_dict()
    overlay = params.get("overlay", "").strip()
    day = params.get("date", "").strip()
    earlier, overlay_reason = overlay_sweep(session=session, sweep=sweep, overlay=overlay, day=day)
    counts = {
        "front": sum(point.on_front for point in sweep.points),
        "dominated": sum(not point.on_front for point in sweep.points),
        "overlay-front": sum(point.on_front for point in earlier.points) if earlier else 0,
    }
    return render(
        request,
        "sweep.html",
        {
            "active": "explorer",
            "sweep": sweep,
            "config": config,
            "earlier": earlier,
            "overlay": overlay,
            "overlay_date": day,
            "overlay_reason": overlay_reason,
            "front_changes": front_changes(sweep, earlier),
            "counts": counts,
            "data": {
                "current": chart_sweep(sweep),
                "earlier": chart_sweep(earlier) if earlier else None,
            },
        },
    )


def chart_sweep(sweep: SweepDetail) -> dict[str, object]:
    """A sweep as the front chart draws it (`front-chart.js`)."""
    return {
        "id": sweep.id,
        "label": f"{sweep.source.timestamp:%Y-%m-%d} ({(sweep.source.commit or '')[:7]})",
        "points": [schemas.as_json(schemas.SweepPointView, point) for point in sweep.points],
    }
