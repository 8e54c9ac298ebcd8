"""Opaque, URL-safe cursors for keyset pagination (DESIGN §7: ``limit`` and ``cursor``)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tracker.errors import FieldError, InvalidQuery

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Item = TypeVar("Item")


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
