"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

INTEGER_MAX = 2**31 - 1
"""The largest value of an ``Integer`` column (Postgres ``integer``): configs' ids."""
BIG_INTEGER_MAX = 2**63 - 1
"""The largest value of a ``BigInteger`` column (``bigint``): the other tables' ids."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC on every backend.

    SQLite keeps no zone, so values are normalised to UTC on the way in and marked UTC on the way
    out; Postgres stores ``timestamptz``. Naive datetimes are a programming error here: input
    validation rejects them long before they reach the database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
