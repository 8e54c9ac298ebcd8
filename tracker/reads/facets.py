"""The values config fields take among stored series, for filter menus, each with how many of
the series a view's filters match have it (what the links that narrow a broad view say)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.db.dialect import is_postgres
from tracker.reads.filters import config_conditions, in_history

FacetValue = str | int | bool


@dataclass(frozen=True)
class Facet:
    value: FacetValue
    matching: int
    """Series with this value among those the filters match (0: the filters leave it out)."""


def config_field_facets(
    *, session: Session, fields: Sequence[str], filters: dict[str, Any]
) -> dict[str, list[Facet]]:
    """Each field's distinct non-null values over the series (configs of the history), sorted,
    with the count of matching series; on Postgres in one pass over the configs (a grouping
    set per field) rather than one per field."""
    for name in fields:
        if name not in CONFIG_FIELD_TYPES:
            raise ValueError(f"unknown config field {name!r}")
    columns = [getattr(models.Config, name) for name in fields]
    conditions = config_conditions(filters)
    matching = func.count().filter(*conditions) if conditions else func.count()
    counts: dict[str, dict[FacetValue, int]] = {name: {} for name in fields}
    if is_postgres(session):
        grouped = (
            select(matching, *columns).where(in_history()).group_by(func.grouping_sets(*columns))
        )
        for count, *values in session.execute(grouped):
            for name, value in zip(fields, values, strict=True):
                if value is not None:
                    counts[name][value] = count
    else:
        for name, column in zip(fields, columns, strict=True):
            query = select(matching, column).where(column.is_not(None), in_history())
            for count, value in session.execute(query.group_by(column)):
                counts[name][value] = count
    return {
        name: [Facet(value, count) for value, count in sorted(found.items())]
        for name, found in counts.items()
    }


def config_field_values(*, session: Session, fields: Sequence[str]) -> dict[str, list[FacetValue]]:
    """Each field's distinct non-null values over the series, sorted."""
    facets = config_field_facets(session=session, fields=fields, filters={})
    return {name: [facet.value for facet in found] for name, found in facets.items()}
