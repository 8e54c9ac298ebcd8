"""Rows repeated in one submission: identical ones fold into one, conflicting ones are an error."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from tracker.configs.identity import Config
from tracker.errors import FieldError
from tracker.ingest.formats.rows import ResultRow
from tracker.ingest.formats.values import describe

_COMPARED_FIELDS = tuple(
    field.name for field in fields(ResultRow) if field.name not in ("config", "conc", "extra")
)
_MODEL_PREFIX = "model_prefix"
_SHOWN_DIFFERENCES = 3


def fold_duplicates(
    indexed_rows: list[tuple[int, ResultRow]], errors: list[FieldError]
) -> list[ResultRow]:
    """Keep the first of rows with the same config key and conc when they are identical; report
    a later one that differs (its `model_prefix` label included) at `("results", index)`,
    naming what differs. Two such rows would be one point of one sweep."""
    first_by_key: dict[tuple[Config, int], tuple[int, ResultRow]] = {}
    # The key leaves out model_prefix: compare configs without it, made once per config.
    identities: dict[Config, Config] = {}
    folded: list[ResultRow] = []
    for index, row in indexed_rows:
        identity = identities.get(row.config)
        if identity is None:
            identity = identities[row.config] = replace(row.config, model_prefix=None)
        first_index, first_row = first_by_key.setdefault((identity, row.conc), (index, row))
        if first_row is row:
            folded.append(row)
            continue
        if row != first_row:
            message = (
                f"results[{index}] repeats the config and conc {row.conc} of "
                f"results[{first_index}] with different values: {_differences(first_row, row)}"
            )
            errors.append(FieldError(("results", index), message, "duplicate_conflict"))
    return folded


def _differences(first: ResultRow, later: ResultRow) -> str:
    pairs: list[tuple[str, Any, Any]] = [
        (_MODEL_PREFIX, first.config.model_prefix, later.config.model_prefix),
        *((name, getattr(first, name), getattr(later, name)) for name in _COMPARED_FIELDS),
    ]
    pairs += [
        (key, first.extra.get(key), later.extra.get(key))
        for key in sorted(first.extra.keys() | later.extra.keys())
    ]
    differing = [
        f"{name} {describe(old)} vs {describe(new)}" for name, old, new in pairs if old != new
    ]
    shown = "; ".join(differing[:_SHOWN_DIFFERENCES])
    more = len(differing) - _SHOWN_DIFFERENCES
    return shown + (f" (and {more} more)" if more > 0 else "")
