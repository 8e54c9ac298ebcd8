"""Domain errors. Services raise these; the API maps them to status codes in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad input field: where it is, what is wrong, and a machine-readable type."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class TrackerError(Exception):
    """Base class of the errors the API turns into a response."""


class InvalidSubmission(TrackerError):
    """A submission that cannot be stored as sent (answered 422, every bad field named)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors


class InvalidQuery(TrackerError):
    """A read whose parameters make no sense (answered 422)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors


class NotFound(TrackerError):
    """The named object does not exist (answered 404)."""


class Conflict(TrackerError):
    """The request contradicts what is stored (answered 409)."""
