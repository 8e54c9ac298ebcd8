"""Opaque, URL-safe cursors for keyset pagination (docs/api.md: ``limit`` and ``cursor``)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, TypeVarTuple

from sqlalchemy import Row, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from tracker.errors import FieldError, InvalidQuery

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Item = TypeVar("Item")
Columns = TypeVarTuple("Columns")


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def encode_cursor(position: list[Any]) -> str:
    """The cursor that resumes a listing after ``position`` (the last item's sort key)."""
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The sort key a cursor stands for; a cursor that was not made here is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidQuery(
            [FieldError(loc=("query", "cursor"), msg="cursor is not one this API issued")]
        ) from error
    if not isinstance(position, list):
        raise InvalidQuery(
            [FieldError(loc=("query", "cursor"), msg="cursor is not one this API issued")]
        )
    return position


def paginate(rows: list[Item], limit: int, sort_key: Any) -> Page[Item]:
    """A page from ``limit + 1`` fetched rows: the extra row only says another page exists."""
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(sort_key(items[-1])))


def newest_first(
    *,
    session: Session,
    query: Select[*Columns],
    timestamp: InstrumentedAttribute[datetime],
    key: InstrumentedAttribute[int],
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Row[*Columns]]:
    """One page of ``query`` newest first by (``timestamp``, ``key``), within [since, until)."""
    if since is not None:
        query = query.where(timestamp >= since)
    if until is not None:
        query = query.where(timestamp < until)
    if cursor is not None:
        after_timestamp, after_key = decode_cursor(cursor)
        query = query.where(
            tuple_(timestamp, key) < tuple_(datetime.fromisoformat(after_timestamp), after_key)
        )
    rows = session.execute(query.order_by(timestamp.desc(), key.desc()).limit(limit + 1)).all()
    return paginate(
        list(rows),
        limit,
        lambda row: [_value(row, timestamp).isoformat(), _value(row, key)],
    )


def _value(row: Row[Any], column: InstrumentedAttribute[Any]) -> Any:
    """``column``'s value in ``row``, whose first element is the entity that owns the column."""
    return getattr(row[0], column.key)
