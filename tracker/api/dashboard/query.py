"""A page's state read from its URL: config filters, the target interactivity, choices.

Pages keep every choice in the query string so that a view can be shared by its address. Unlike
the API, a blank value means "any" (an empty select in a filter form submits ``model=``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.errors import FieldError, InvalidQuery
from tracker.reads.filters import parse_filters
from tracker.reads.trend import require_target

DEFAULT_TARGET = 35.0


def config_filters_from(params: Mapping[str, str]) -> dict[str, Any]:
    """The config-field filters among ``params``, parsed and normalised like the API's."""
    filters, errors = parse_filters({name: params.get(name) for name in CONFIG_FIELD_TYPES})
    if errors:
        raise InvalidQuery(errors)
    return filters


def number_from(name: str, raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidQuery(
            [FieldError(loc=("query", name), msg=f"{name} must be a finite number, got {raw!r}")]
        )
    return number


def target_from(raw: str | None, targets: Sequence[float]) -> float:
    """A target interactivity from the URL; 35 tok/s/user (or the middle target) by default."""
    chosen = number_from("target", raw)
    if chosen is None:
        return DEFAULT_TARGET if DEFAULT_TARGET in targets else targets[len(targets) // 2]
    require_target(chosen, targets)
    return chosen


def choice_from(name: str, raw: str | None, allowed: Sequence[str]) -> str:
    """One of ``allowed`` (the first by default; a blank choice in ``allowed`` means "any")."""
    if raw is None or not raw.strip():
        return allowed[0]
    if raw not in allowed:
        named = ", ".join(choice for choice in allowed if choice)
        blank = ", or blank for any" if "" in allowed else ""
        raise InvalidQuery(
            [FieldError(loc=("query", name), msg=f"{name} must be one of {named}{blank}")]
        )
    return raw
