"""Typed FastAPI dependencies: settings, sessions, auth, bounded request bodies, config filters."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.orm import Session

from tracker.clock import as_utc
from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.db.types import BIG_INTEGER_MAX, INTEGER_MAX
from tracker.errors import FieldError, InvalidQuery, TrackerError
from tracker.models import ApiToken
from tracker.pipeline.stages import Scheduler
from tracker.reads.filters import parse_filters
from tracker.reads.pagination import (
    DEFAULT_LIMIT,
    ID_CURSOR_PATTERN,
    MAX_LIMIT,
    MOMENT_CURSOR_PATTERN,
)
from tracker.settings import Settings
from tracker.tokens import authenticate, scope_allows
from tracker.vocabulary import TokenScope


class Unauthenticated(TrackerError):
    """No token, or one that is unknown (401)."""


class Forbidden(TrackerError):
    """A valid token without the needed scope (403)."""


class PayloadTooLarge(TrackerError):
    """A request body over the size limit (413)."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request; routes that write commit explicitly before answering."""
    with request.app.state.session_factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


def get_scheduler(request: Request) -> Scheduler:
    scheduler: Scheduler = request.app.state.scheduler
    return scheduler


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
SchedulerDep = Annotated[Scheduler, Depends(get_scheduler)]

bearer_scheme = HTTPBearer(auto_error=False, description="A token from `tracker tokens create`.")
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def _token(session: Session, credentials: HTTPAuthorizationCredentials | None) -> ApiToken:
    if credentials is None:
        raise Unauthenticated("a bearer token is required")
    token = authenticate(session=session, raw_token=credentials.credentials)
    if token is None:
        raise Unauthenticated("the bearer token is not known")
    return token


def require_scope(scope: TokenScope) -> Callable[..., ApiToken]:
    """A dependency that admits tokens holding ``scope`` (``admin`` holds every scope)."""

    def dependency(session: SessionDep, credentials: CredentialsDep) -> ApiToken:
        token = _token(session, credentials)
        if not scope_allows(token.scope, scope):
            raise Forbidden(f"the token {token.name!r} lacks the {scope.value!r} scope")
        return token

    return dependency


def read_access(settings: SettingsDep, session: SessionDep, credentials: CredentialsDep) -> None:
    """Reads are public unless ``TRACKER_PUBLIC_READS=false``; then any valid token will do."""
    if not settings.public_reads:
        _token(session, credentials)


async def submission_body(request: Request) -> bytes:
    """The raw request body, refused as soon as it passes ``TRACKER_MAX_SUBMISSION_BYTES``."""
    limit = request.app.state.settings.max_submission_bytes
    declared = request.headers.get("content-length")
    too_large = f"the body is larger than the limit of {limit} bytes (TRACKER_MAX_SUBMISSION_BYTES)"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(too_large)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def config_filters(*other_parameters: str) -> Callable[..., dict[str, Any]]:
    """A dependency taking every config field (docs/configs.md) as an optional query filter.

    Unknown query parameters are refused rather than ignored: a misspelt filter would otherwise
    silently widen the answer. ``other_parameters`` are the endpoint's own parameters.
    """
    allowed = set(CONFIG_FIELD_TYPES) | set(other_parameters)

    def dependency(request: Request, **raw_filters: str | None) -> dict[str, Any]:
        errors = [
            FieldError(
                loc=("query", name),
                msg=f"unknown query parameter {name!r}; filters are config fields: "
                + ", ".join(CONFIG_FIELD_TYPES),
                type="extra_forbidden",
            )
            for name in request.query_params
            if name not in allowed
        ]
        errors.extend(
            FieldError(
                loc=("query", name),
                msg=f"{name} must be {'true or false' if field_type is bool else 'an integer'}, "
                "got a blank value",
            )
            for name, field_type in CONFIG_FIELD_TYPES.items()
            if field_type is not str and (raw := raw_filters.get(name)) is not None
            if not raw.strip()
        )
        filters, filter_errors = parse_filters(raw_filters)
        errors.extend(filter_errors)
        if errors:
            raise InvalidQuery(errors)
        return filters

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
        + [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=Query(None, description=f"Config field {name} ({field_type.__name__})."),
                annotation=str | None,
            )
            for name, field_type in CONFIG_FIELD_TYPES.items()
        ]
    )
    return dependency


SeriesId = Annotated[int, Path(ge=1, le=INTEGER_MAX, description="A series id (its config's id).")]
"""A series in a path, bounded to its column: a larger number is a 422, never a database error."""
RowId = Annotated[int, Path(ge=1, le=BIG_INTEGER_MAX, description="The object's id.")]
"""An alert, sweep or submission in a path, bounded to its 64-bit column."""

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}).")
]
IdCursor = Annotated[
    str | None,
    Query(pattern=ID_CURSOR_PATTERN, description="The `next` of the previous page: an id."),
]
"""The cursor of a list in id order (tracker.reads.pagination)."""
MomentCursor = Annotated[
    str | None,
    Query(
        pattern=MOMENT_CURSOR_PATTERN,
        description="The `next` of the previous page: `<microseconds since 1970 UTC>_<id>`.",
    ),
]
"""The cursor of a list newest first (tracker.reads.pagination)."""


def _moment_in_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(moment: object) -> object:
    """Only ISO 8601 text: pydantic would also read a number as seconds since 1970."""
    if isinstance(moment, str) and not ISO_DATE_START.match(moment):
        raise ValueError("expected an ISO 8601 date or time (YYYY-MM-DD…)")
    return moment


UtcMoment = Annotated[datetime | None, BeforeValidator(_iso_text), AfterValidator(_moment_in_utc)]
"""A moment in a query: ISO 8601 date or time; one without a zone is taken as UTC."""
Since = Annotated[
    UtcMoment,
    Query(description="Inclusive lower bound: ISO 8601 date or time; without a zone, UTC."),
]
Until = Annotated[
    UtcMoment,
    Query(description="Exclusive upper bound: ISO 8601 date or time; without a zone, UTC."),
]
