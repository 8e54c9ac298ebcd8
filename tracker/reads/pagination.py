"""Keyset pagination cursors (docs/api.md: ``limit`` and ``cursor``).

A cursor names the position after which the next page starts, in digits: ``<id>`` for lists in
id order, ``<microseconds since 1970 UTC>_<id>`` for lists newest first. Every string of that
shape is a position (one past either end answers an empty page), so the patterns below say
exactly which cursors the API accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar, TypeVarTuple

from sqlalchemy import Row, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from tracker.db.types import BIG_INTEGER_MAX, INTEGER_MAX

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ID_CURSOR_PATTERN = r"^[0-9]{1,19}$"
MOMENT_CURSOR_PATTERN = r"^-?[0-9]{1,18}_[0-9]{1,19}$"

Item = TypeVar("Item")
Columns = TypeVarTuple("Columns")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def encode_id_cursor(after_id: int) -> str:
    return str(after_id)


def decode_id_cursor(cursor: str) -> int:
    """The config id after which a page starts (validated against ``ID_CURSOR_PATTERN``
    already), held to the range of its 32-bit column."""
    return min(int(cursor), INTEGER_MAX)


def encode_moment_cursor(after: datetime, after_id: int) -> str:
    return f"{(after - _EPOCH) // timedelta(microseconds=1)}_{after_id}"


def decode_moment_cursor(cursor: str) -> tuple[datetime, int]:
    """The (moment, id) after which a newest-first page starts, held to the ranges the columns
    and Python's datetime can hold."""
    microseconds, after_id = (int(part) for part in cursor.split("_"))
    earliest = (_EARLIEST - _EPOCH) // timedelta(microseconds=1)
    latest = (_LATEST - _EPOCH) // timedelta(microseconds=1)
    moment = _EPOCH + timedelta(microseconds=min(max(microseconds, earliest), latest))
    return moment, min(after_id, BIG_INTEGER_MAX)


def paginate(rows: list[Item], limit: int, cursor_after: Any) -> Page[Item]:
    """A page from ``limit + 1`` fetched rows: the extra row only says another page exists;
    ``cursor_after`` makes the cursor of a page's last item."""
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    items = rows[:limit]
    return Page(items=items, next_cursor=cursor_after(items[-1]))


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
        after_timestamp, after_key = decode_moment_cursor(cursor)
        query = query.where(tuple_(timestamp, key) < tuple_(after_timestamp, after_key))
    rows = session.execute(query.order_by(timestamp.desc(), key.desc()).limit(limit + 1)).all()
    return paginate(
        list(rows),
        limit,
        lambda row: encode_moment_cursor(_value(row, timestamp), _value(row, key)),
    )


def _value(row: Row[Any], column: InstrumentedAttribute[Any]) -> Any:
    """``column``'s value in ``row``, whose first element is the entity that owns the column."""
    return getattr(row[0], column.key)
