"""Liveness with a check of each dependency, and Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.api import answers
from tracker.api.deps import SessionDep, SettingsDep, read_access
from tracker.api.metrics import render_metrics
from tracker.pipeline.scheduler import broker_problem

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str = Field(description="`ok`, or why the database cannot be reached.")
    broker: str | None = Field(
        description="`ok`, or why the Celery broker cannot be reached; null without a broker "
        "(stages run in the API process)."
    )
    down: list[Literal["database", "broker"]] = Field(description="The dependencies that are down.")


@router.get(
    "/healthz",
    summary="Liveness: the API answers, and reaches its database and broker",
    response_model=Health,
    responses={
        503: {
            "model": Health,
            "description": "A dependency is down: `down` names which.",
            "headers": answers.answers(503)[503]["headers"],
        },
        **answers.answers(422),
    },
)
def healthz(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as error:
        database = str(error).splitlines()[0][:200]
    broker = None
    if settings.broker_url:
        broker = broker_problem(settings.broker_url) or "ok"
    down = [
        name
        for name, state in (("database", database), ("broker", broker))
        if state not in ("ok", None)
    ]
    health = Health(
        status="unavailable" if down else "ok", database=database, broker=broker, down=down
    )
    return JSONResponse(
        status_code=503 if down else 200,
        content=health.model_dump(),
        headers={"Retry-After": str(answers.RETRY_AFTER_SECONDS)} if down else None,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    dependencies=[Depends(read_access)],
    responses=answers.READ,
)
def metrics(request: Request, session: SessionDep) -> Response:
    body, content_type = render_metrics(request.app.state.metrics, session)
    return Response(content=body, media_type=content_type)
