"""Liveness with a database check, and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.api.deps import SessionDep, read_access
from tracker.api.metrics import render_metrics

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the API answers and reaches its database")
def healthz(session: SessionDep) -> JSONResponse:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return JSONResponse(
            status_code=503, content={"status": "unavailable", "database": str(error)[:200]}
        )
    return JSONResponse(content={"status": "ok", "database": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    dependencies=[Depends(read_access)],
)
def metrics(request: Request, session: SessionDep) -> Response:
    body, content_type = render_metrics(request.app.state.metrics, session)
    return Response(content=body, media_type=content_type)
