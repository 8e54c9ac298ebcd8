"""Alerts: the triage units delivered to Slack, their triage, and the digests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator

from alerts.digest_api import DigestView, digest_view
from alerts.reads import get_alert, list_alerts
from alerts.triage import triage_alert
from tracker import models, views
from tracker.api.deps import SessionDep, read_access, require_scope
from tracker.api.paging import Cursor, Limit, items_page
from tracker.jobs import utc_now

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class TriageState(BaseModel):
    state: models.AlertState = Field(
        description="untriaged, acknowledged, investigating, expected (the level after becomes "
        "the baseline), invalid (its changes are suppressed), fixed, improvement; `retracted` "
        "is the tracker's alone.",
        examples=["acknowledged"],
    )
    note: str | None = Field(default=None, max_length=4000, examples=["bisecting"])

    @field_validator("state")
    @classmethod
    def _not_retracted(cls, state: models.AlertState) -> models.AlertState:
        if state is models.AlertState.RETRACTED:
            raise ValueError("state 'retracted' is set by the tracker, not by triage")
        return state


@router.get(
    "/alerts",
    response_model=views.ItemsPage[views.AlertView],
    summary="Alerts, newest first (all states unless `state` is given)",
    dependencies=[Depends(read_access)],
)
def list_alerts_route(
    session: SessionDep,
    state: models.AlertState | None = None,
    engine: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return items_page(
        list_alerts(session=session, state=state, engine=engine, limit=limit, cursor=cursor)
    )


@router.get(
    "/alerts/{alert_id}",
    response_model=views.AlertDetailView,
    summary="An alert with its change points and state history",
    dependencies=[Depends(read_access)],
)
def get_alert_route(alert_id: int, session: SessionDep) -> views.AlertDetailView:
    return get_alert(session=session, alert_id=alert_id)


@router.patch(
    "/alerts/{alert_id}",
    response_model=views.AlertDetailView,
    summary="Triage an alert (needs the triage scope; the token's name is recorded as who)",
    responses={401: {"description": "No or unknown token."}, 403: {"description": "No scope."}},
)
def triage_alert_route(
    alert_id: int,
    body: TriageState,
    session: SessionDep,
    token: Annotated[models.ApiToken, Depends(require_scope(models.TokenScope.TRIAGE))],
) -> views.AlertDetailView:
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


@router.get(
    "/digest",
    response_model=DigestView,
    summary="Per engine × GPU × config family: throughput now against `days` ago, and steps",
    dependencies=[Depends(read_access)],
)
def get_digest(
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366, description="How far back to compare.")] = 30,
) -> DigestView:
    return digest_view(session=session, days=days, now=utc_now())
