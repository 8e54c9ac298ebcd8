"""One place that turns errors into HTTP answers (docs/api.md's envelopes): domain errors,
validation, a database outage (503 with Retry-After), a method the path does not take (405)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from tracker.api.answers import RETRY_AFTER_SECONDS
from tracker.api.deps import Forbidden, PayloadTooLarge, Unauthenticated
from tracker.db.engine import DATABASE_OUTAGES
from tracker.errors import Conflict, FieldError, InvalidQuery, InvalidSubmission, NotFound

log = logging.getLogger(__name__)


def _envelope(errors: list[FieldError], prefix: tuple[str, ...]) -> list[dict[str, object]]:
    return [
        {"loc": [*prefix, *error.loc], "msg": error.msg, "type": error.type} for error in errors
    ]


def invalid_input(details: Sequence[dict[str, Any]]) -> JSONResponse:
    """The 422 every refusal of input shares: ``{"detail": [{"loc", "msg", "type"}]}``."""
    return JSONResponse(status_code=422, content={"detail": list(details)})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidSubmission)
    async def invalid_submission(_: Request, error: InvalidSubmission) -> JSONResponse:
        return invalid_input(_envelope(error.errors, ("body",)))

    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, error: InvalidQuery) -> JSONResponse:
        return invalid_input(_envelope(error.errors, ()))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return invalid_input(
            [
                {"loc": list(detail["loc"]), "msg": detail["msg"], "type": detail["type"]}
                for detail in error.errors()
            ]
        )

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

    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        log.warning(
            "database unavailable during %s %s: %s", request.method, request.url.path, error
        )
        return JSONResponse(
            status_code=503,
            content={
                "detail": "the database cannot be reached; try again after Retry-After seconds"
            },
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for outage in DATABASE_OUTAGES:
        app.add_exception_handler(outage, database_unavailable)

    @app.exception_handler(HTTPException)
    async def http_exception(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400:  # a body that is not JSON: invalid input like any other
            return invalid_input(
                [{"loc": ["body"], "msg": str(error.detail), "type": "json_invalid"}]
            )
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(
            status_code=error.status_code, content={"detail": error.detail}, headers=headers
        )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in _routes(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes themselves, inside the routers FastAPI wraps included routers in."""
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None and not hasattr(route, "path_regex"):
            yield from _routes(inner)
        else:
            yield route
