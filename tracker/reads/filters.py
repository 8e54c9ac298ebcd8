"""Filters over stored configs: query strings parsed like submitted values, and the
equality conditions they make."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import aliased

from tracker import models
from tracker.configs.normalise import parse_config_filter
from tracker.errors import FieldError
from tracker.vocabulary import SubmissionPurpose


def config_conditions(filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """WHERE clauses for equality filters on config fields (already parsed to their types)."""
    return [getattr(models.Config, name) == value for name, value in filters.items()]


def in_history() -> ColumnElement[bool]:
    """A config with a sweep of the tracked history: one seen only in candidate (or bisection)
    runs is no series of the explorer's. A config with a latest-sweep pointer has one (only the
    history's sweeps get frontier values), so the sweeps are searched only for the few configs
    without: a list over the fleet never joins its whole history."""
    without_values = aliased(models.Config)
    has_history_sweep = exists().where(
        models.Sweep.config_id == without_values.id,
        models.SourceRun.id == models.Sweep.source_run_id,
        models.SourceRun.purpose == SubmissionPurpose.HISTORY,
    )
    return models.Config.latest_sweep_id.is_not(None) | models.Config.id.in_(
        select(without_values.id).where(without_values.latest_sweep_id.is_(None), has_history_sweep)
    )


def parse_filters(raw_values: Mapping[str, str | None]) -> tuple[dict[str, Any], list[FieldError]]:
    """Config filters from query strings (blank means no filter), parsed and normalised like
    submitted configs; the errors name each bad parameter."""
    filters: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, raw in raw_values.items():
        if raw is None or not raw.strip():
            continue
        try:
            filters[name] = parse_config_filter(name, raw.strip())
        except ValueError as error:
            errors.append(FieldError(loc=("query", name), msg=str(error)))
    return filters, errors
