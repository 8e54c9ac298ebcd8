"""What parsing notices besides errors, for the submission's answer: rows skipped, per-request
lists dropped, warnings (docs/formats.md#the-answer)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tracker.errors import FieldError


@dataclass(frozen=True)
class SkippedRow:
    """A row kept in the raw payload but not analysed, and why."""

    index: int
    reason: str


@dataclass
class ParseNotes:
    """Filled while a submission's rows are parsed; none of it rejects the submission."""

    skipped: list[SkippedRow] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    """Per-request list name → rows it was dropped from."""
    warnings: list[FieldError] = field(default_factory=list)
    """Accepted as sent, but worth knowing (an unknown GPU: no cost)."""
