"""The one clock: aware UTC datetimes, so that every stored timestamp has a zone."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` with a zone: one without is taken as UTC (docs/api.md#timestamps)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def backoff_s(attempts: int, first_s: float, *, most_s: float = 3600.0) -> float:
    """The wait before the next try after ``attempts`` tries: ``first_s``, twice that, four
    times … never more than ``most_s``."""
    return float(min(most_s, first_s * 2 ** max(attempts - 1, 0)))
