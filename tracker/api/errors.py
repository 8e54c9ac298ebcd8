"""One place that turns domain errors into HTTP answers (docs/api.md's envelopes)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tracker.api.deps import Forbidden, PayloadTooLarge, Unauthenticated
from tracker.errors import Conflict, FieldError, InvalidQuery, InvalidSubmission, NotFound


def _envelope(errors: list[FieldError], prefix: tuple[str, ...]) -> list[dict[str, object]]:
    return [
        {"loc": [*prefix, *error.loc], "msg": error.msg, "type": error.type} for error in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidSubmission)
    async def invalid_submission(_: Request, error: InvalidSubmission) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _envelope(error.errors, ("body",))})

    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, error: InvalidQuery) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _envelope(error.errors, ())})

    simple_statuses: dict[type[Exception], int] = {
        NotFound: 404,
        Conflict: 409,
        PayloadTooLarge: 413,
        Forbidden: 403,
    }
    for error_class, status in simple_statuses.items():

        async def simple(_: Request, error: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(status_code=status, content={"detail": str(error)})

        app.add_exception_handler(error_class, simple)

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        return JSONResponse(
            status_code=401,
            content={"detail": str(error)},
            headers={"WWW-Authenticate": "Bearer"},
        )
