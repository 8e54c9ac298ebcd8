"""Points measured while requests failed (docs/frontier.md#failed-requests): which points of a
sweep are degraded, and by what fraction.

A point's failed fraction comes from its own counts when the row states them (`failed`, or
`completed` below `num_prompts` or the length of its per-request `errors`). SGLang writes only
`completed`; then the requested count is inferred from the sweep, as the one pattern a strict
majority of its points follows exactly: the same number of requests per concurrency (`--num-prompts
CONC*k`) or the same number for every point (`--num-prompts N`). Pure: no database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestCounts:
    """A point's request counts as its row states them (None: not stated)."""

    conc: int
    completed: int | None
    requested: int | None
    failed: int | None


@dataclass(frozen=True)
class DegradedPoint:
    """A point whose failed fraction is above the threshold: kept, left out of the front."""

    conc: int
    failed: int
    requested: int
    requested_inferred: bool
    """The row does not say how many requests it sent; its sweep's pattern does."""

    @property
    def failed_fraction(self) -> float:
        return self.failed / self.requested

    @property
    def reason(self) -> str:
        inferred = " (requested count inferred from the sweep)" if self.requested_inferred else ""
        return f"{self.failed} of {self.requested} requests failed{inferred}"


def degraded_points(
    points: Sequence[RequestCounts], max_failed_fraction: float
) -> list[DegradedPoint]:
    """The points whose failed fraction is above `max_failed_fraction` (0: any failed request),
    in the order given."""
    inferred_requested = _requested_pattern(points)
    degraded = []
    for point in points:
        requested, failed = point.requested, point.failed
        if requested is None and failed is not None and point.completed is not None:
            requested = point.completed + failed
        inferred = False
        if requested is None and failed is None and inferred_requested is not None:
            requested, inferred = inferred_requested(point.conc), True
        if requested is None or requested <= 0:
            continue
        shortfall = requested - point.completed if point.completed is not None else 0
        failed = max(failed or 0, shortfall)
        if failed > 0 and failed / requested > max_failed_fraction:
            degraded.append(DegradedPoint(point.conc, min(failed, requested), requested, inferred))
    return degraded


def _requested_pattern(points: Sequence[RequestCounts]) -> Callable[[int], int] | None:
    """How many requests each point sent, from the completed counts of the points that state
    nothing else: the pattern a strict majority (at least two) of them follows exactly."""
    completed = [
        (point.conc, point.completed)
        for point in points
        if point.completed is not None and point.requested is None and point.failed is None
    ]
    majority = max(2, len(completed) // 2 + 1)
    if len(completed) < majority:
        return None
    per_conc = Counter(count // conc for conc, count in completed if count % conc == 0)
    if per_conc:
        requests_per_conc, followers = per_conc.most_common(1)[0]
        if followers >= majority:
            return lambda conc: requests_per_conc * conc
    requests, followers = Counter(count for _, count in completed).most_common(1)[0]
    if followers >= majority:
        return lambda conc: requests
    return None
