"""Typed readers for submitted JSON values, and the error bookkeeping every format shares.

A reader takes the field's name (for the message) and its value, and returns the checked value or
raises `BadValue`; `checked` turns that into a `FieldError` at a location so that parsing goes on
and one answer names every bad field. Numbers must be JSON numbers: a numeric string such as
"8" is rejected, booleans excepted (docs/configs.md folds "true"/"false").
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tracker.configs.fields import CONFIG_INT_MAX
from tracker.configs.normalise import parse_bool
from tracker.errors import FieldError

Loc = tuple[str | int, ...]
T = TypeVar("T")

_SHOWN_CHARS = 60
MAX_INTEGER = CONFIG_INT_MAX
"""The largest integer a config field or conc may hold (a 32-bit database column)."""
_FLOAT_MAX = sys.float_info.max


class BadValue(Exception):
    """A submitted value a reader refuses; `checked` places it."""

    def __init__(self, message: str, error_type: str = "value_error") -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type


def describe(value: object) -> str:
    """How a value reads in an error message: JSON spellings, strings quoted and shortened."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "…"
        return f"the string {shown!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    shown = repr(value)
    return shown if len(shown) <= _SHOWN_CHARS else shown[:_SHOWN_CHARS] + "…"


def checked(
    errors: list[FieldError], loc: Loc, reader: Callable[[str, Any], T], value: Any
) -> T | None:
    """Run `reader` on `value`; on BadValue record a FieldError at `loc` and return None."""
    try:
        return reader(str(loc[-1]), value)
    except BadValue as bad:
        errors.append(FieldError(loc, bad.message, bad.error_type))
        return None


def checked_positive(errors: list[FieldError], loc: Loc, value: Any) -> float | None:
    """`checked(errors, loc, positive_number, value)`, with a fast path for a plain float."""
    if type(value) is float and 0.0 < value < math.inf:
        return value
    return checked(errors, loc, positive_number, value)


def read_count(
    row: Mapping[str, Any], key: str, loc: Loc, errors: list[FieldError], *, meaning: str
) -> int | None:
    """The required positive integer `row[key]` (a concurrency); a missing one is reported as
    "`key` is required: `meaning`"."""
    value = row.get(key)
    if type(value) is int and 0 < value <= MAX_INTEGER:
        return value
    if value is None:
        errors.append(FieldError((*loc, key), f"{key} is required: {meaning}", "missing"))
        return None
    return checked(errors, (*loc, key), positive_integer, value)


def _number(name: str, value: Any, requirement: str) -> float:
    # bool is an int subclass in Python, but true is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "type_error")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range
        number = math.inf
    if not math.isfinite(number):
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "finite_number")
    return number


def positive_number(name: str, value: Any) -> float:
    """A finite number > 0 (throughputs, interactivity)."""
    requirement = "a positive finite number"
    number = _number(name, value, requirement)
    if number <= 0:
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "greater_than")
    return number


def non_negative_number(name: str, value: Any) -> float:
    """A finite number ≥ 0 (latencies, optional throughputs)."""
    requirement = "a non-negative finite number"
    number = _number(name, value, requirement)
    if number < 0:
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "greater_than_equal")
    return number


def integer(name: str, value: Any, minimum: int) -> int:
    """A whole JSON number ≥ `minimum`; 8.0 reads as 8 (JSON does not tell them apart)."""
    requirement = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "int_type")
    if isinstance(value, float) and not value.is_integer():
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "int_from_float")
    if value < minimum:
        raise BadValue(f"{name} must be {requirement}, got {describe(value)}", "greater_than_equal")
    if value > MAX_INTEGER:
        raise BadValue(f"{name} must be at most {MAX_INTEGER}, got {describe(value)}", "less_than")
    return int(value)


def positive_integer(name: str, value: Any) -> int:
    """A whole number ≥ 1 (concurrency, sequence lengths, parallel sizes)."""
    return integer(name, value, 1)


def non_negative_integer(name: str, value: Any) -> int:
    """A whole number ≥ 0 (prefill/decode sizes: a run without decode GPUs reports 0)."""
    return integer(name, value, 0)


def boolean(name: str, value: Any) -> bool:
    """A JSON boolean or "true"/"false" in any case."""
    try:
        return parse_bool(value)
    except ValueError:
        raise BadValue(
            f'{name} must be true or false (or "true"/"false"), got {describe(value)}', "bool_type"
        ) from None


def text(name: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str):
        raise BadValue(f"{name} must be a string, got {describe(value)}", "string_type")
    if not value.strip():
        raise BadValue(f"{name} must not be empty", "string_too_short")
    return value


_JSON_SCALAR_TYPES = frozenset({str, int, bool, type(None)})


def is_non_negative_finite(value: Any) -> bool:
    """Fast check of the common case; a value failing it goes through a reader for the
    message."""
    value_type = type(value)
    if value_type is float:
        return bool(0.0 <= value < math.inf)  # false for NaN too
    return value_type is int and bool(value >= 0)


def is_plain_json(value: Any) -> bool:
    """Whether `json_safe` would return `value` unchanged without looking inside it."""
    value_type = type(value)
    if value_type is float:
        return bool(-math.inf < value < math.inf)
    return value_type in _JSON_SCALAR_TYPES


# The bulk checks below run at C speed (set of types, min, sum); a False answer only means
# "check each value", which the readers then do for the message.
_NUMBER_TYPES = frozenset({int, float})
_NUMBER_OR_NULL_TYPES = _NUMBER_TYPES | {type(None)}
_JSON_SCALAR_OR_FLOAT_TYPES = _JSON_SCALAR_TYPES | {float}


def all_non_negative_finite_or_null(values: Sequence[Any]) -> bool:
    """Whether every value is null or a finite number ≥ 0 (bools excluded)."""
    value_types = set(map(type, values))
    if not value_types <= _NUMBER_OR_NULL_TYPES:
        return False
    numbers = (
        [value for value in values if value is not None] if type(None) in value_types else values
    )
    # A NaN or infinity anywhere (or an integer beyond the float range) takes the sum out of
    # the float range; the readers then say which value it was.
    return not numbers or (min(numbers) >= 0 and _sum_in_float_range(numbers))


def all_positive_finite(values: Sequence[Any]) -> bool:
    """Whether every value is a finite number > 0 (bools and nulls excluded)."""
    if not set(map(type, values)) <= _NUMBER_TYPES:
        return False
    return not values or (min(values) > 0 and _sum_in_float_range(values))


def all_plain_json(values: Sequence[Any]) -> bool:
    """Whether `json_safe` would return every value unchanged without looking inside it."""
    value_types = set(map(type, values))
    if value_types <= _JSON_SCALAR_TYPES:
        return True
    if not value_types <= _JSON_SCALAR_OR_FLOAT_TYPES:
        return False
    return _sum_in_float_range([value for value in values if type(value) is float])


def _sum_in_float_range(numbers: Sequence[Any]) -> bool:
    try:
        total = sum(numbers)
    except OverflowError:  # a float added to an integer beyond the float range
        return False
    return bool(-_FLOAT_MAX <= total <= _FLOAT_MAX)


_NON_FINITE_SPELLINGS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_safe(name: str, value: Any) -> Any:
    """A JSON value fit for storage: non-finite floats (which strict JSON and Postgres JSONB
    refuse, but SGLang writes for an infinite request rate) become the strings "NaN",
    "Infinity", "-Infinity", at any depth. Raises BadValue for what JSON cannot hold (only a
    Python caller can pass that)."""
    value_type = type(value)
    if value_type in _JSON_SCALAR_TYPES:
        return value
    if value_type is float:
        return value if math.isfinite(value) else _NON_FINITE_SPELLINGS[repr(value)]
    if value_type is dict:
        return {str(key): json_safe(name, item) for key, item in value.items()}
    if value_type is list:
        return [json_safe(name, item) for item in value]
    raise BadValue(f"{name} is not a JSON value ({value_type.__name__})", "json_type")
