"""Alerts: the triage units delivered to Slack, their triage, and the digests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from alerts.bisection.start import start_bisection, stop_bisection
from alerts.jobs import bisect_configuration
from alerts.reads import (
    AlertDetail,
    BisectionRead,
    DigestReport,
    get_alert,
    list_alerts,
    read_bisection,
    read_digest,
)
from alerts.triage import triage_alert
from tracker import models
from tracker.api import answers, schemas
from tracker.api.deps import (
    Limit,
    MomentCursor,
    RowId,
    SchedulerDep,
    SessionDep,
    SettingsDep,
    UtcMoment,
    read_access,
    require_scope,
)
from tracker.api.schemas import items_page
from tracker.clock import utc_now
from tracker.pipeline.stages import Stage
from tracker.vocabulary import AlertKind, AlertState, TokenScope

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.get(
    "/alerts",
    response_model=schemas.ItemsPage[schemas.AlertView],
    summary="Alerts, newest first (all states and kinds unless `state` or `kind` is given)",
    responses=answers.READ,
    dependencies=[Depends(read_access)],
)
def list_alerts_route(
    session: SessionDep,
    state: AlertState | None = None,
    engine: str | None = None,
    kind: Annotated[
        AlertKind | None,
        Query(description="step, stale, drift or rank (docs/alerts.md#kinds)"),
    ] = None,
    limit: Limit = 100,
    cursor: MomentCursor = None,
) -> dict[str, Any]:
    return items_page(
        list_alerts(
            session=session, state=state, engine=engine, kind=kind, limit=limit, cursor=cursor
        )
    )


@router.get(
    "/alerts/{alert_id}",
    response_model=schemas.AlertDetailView,
    summary="An alert with its change points and state history",
    responses=answers.READ_ONE,
    dependencies=[Depends(read_access)],
)
def get_alert_route(alert_id: RowId, session: SessionDep) -> AlertDetail:
    return get_alert(session=session, alert_id=alert_id)


@router.patch(
    "/alerts/{alert_id}",
    response_model=schemas.AlertDetailView,
    summary="Triage an alert (needs the triage scope; the token's name is recorded as who)",
    responses=answers.WRITE_ONE,
)
def triage_alert_route(
    alert_id: RowId,
    body: schemas.TriageState,
    session: SessionDep,
    token: Annotated[models.ApiToken, Depends(require_scope(TokenScope.TRIAGE))],
) -> AlertDetail:
    triage_alert(
        session=session,
        alert_id=alert_id,
        state=body.state,
        note=body.note,
        who=token.name,
        now=utc_now(),
    )
    session.commit()
    return get_alert(session=session, alert_id=alert_id)


@router.post(
    "/alerts/{alert_id}/bisect",
    status_code=202,
    response_model=schemas.BisectionView,
    summary="Start bisecting an alert's commit range (triage scope)",
    description=(
        "Lists the range's commits on GitHub and asks the engine's CI (its workflow in "
        "`TRACKER_BISECT_WORKFLOWS`) to benchmark a commit in the middle, halving the range "
        "until one commit remains or `TRACKER_BISECT_MAX_RUNS` runs are spent. 409 when "
        "bisection is not configured, one is running, or the range has no commits."
    ),
    responses=answers.answers(401, 403, 404, 409, 422, 503),
)
def start_bisection_route(
    alert_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    scheduler: SchedulerDep,
    token: Annotated[models.ApiToken, Depends(require_scope(TokenScope.TRIAGE))],
) -> BisectionRead:
    start_bisection(
        session=session,
        alert_id=alert_id,
        configuration=bisect_configuration(settings),
        who=token.name,
        now=utc_now(),
    )
    session.commit()
    scheduler.schedule(Stage.ADVANCE_BISECTIONS)
    bisection = read_bisection(session, alert_id)
    assert bisection is not None
    return bisection


@router.delete(
    "/alerts/{alert_id}/bisect",
    response_model=schemas.BisectionView,
    summary="Stop an alert's running bisection (triage scope)",
    responses=answers.WRITE_ONE,
)
def stop_bisection_route(
    alert_id: RowId,
    session: SessionDep,
    token: Annotated[models.ApiToken, Depends(require_scope(TokenScope.TRIAGE))],
) -> BisectionRead:
    stop_bisection(session=session, alert_id=alert_id, who=token.name, now=utc_now())
    session.commit()
    bisection = read_bisection(session, alert_id)
    assert bisection is not None
    return bisection


@router.get(
    "/digest",
    response_model=schemas.DigestView,
    summary="Per engine × GPU × config family: throughput now against `days` ago, and steps",
    responses=answers.READ,
    dependencies=[Depends(read_access)],
)
def get_digest(
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366, description="How far back to compare.")] = 30,
    until: Annotated[
        UtcMoment,
        Query(description="The digest's moment (default now): ISO 8601; without a zone, UTC."),
    ] = None,
) -> DigestReport:
    return read_digest(session=session, days=days, now=until or utc_now())
