"""The values config fields take among stored series, for filter menus."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.reads.filters import in_history

FacetValue = str | int | bool


def config_field_values(*, session: Session, fields: Sequence[str]) -> dict[str, list[FacetValue]]:
    """Each field's distinct non-null values over the series (configs of the history), sorted."""
    values: dict[str, list[FacetValue]] = {}
    for name in fields:
        if name not in CONFIG_FIELD_TYPES:
            raise ValueError(f"unknown config field {name!r}")
        column = getattr(models.Config, name)
        found = session.execute(
            select(column).where(column.is_not(None), in_history()).distinct()
        ).scalars()
        values[name] = sorted(found)
    return values
