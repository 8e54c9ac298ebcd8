"""The one clock: aware UTC datetimes, so that every stored timestamp has a zone."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
