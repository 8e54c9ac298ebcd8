"""Stored configs as the API shows them, and equality filters over their fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from tracker import models
from tracker.configs import CONFIG_FIELD_TYPES


def config_view(config: models.Config) -> dict[str, Any]:
    """A config's canonical fields (DESIGN §3), derived ones included."""
    return {name: getattr(config, name) for name in CONFIG_FIELD_TYPES}


def config_conditions(filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """WHERE clauses for equality filters on config fields (already parsed to their types)."""
    return [getattr(models.Config, name) == value for name, value in filters.items()]
