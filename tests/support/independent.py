"""An independent reading of a sweep's frontier values, for checking the tracker's: a brute-force
Pareto front (quadratic dominance check) and scipy's PCHIP through it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scipy.interpolate import PchipInterpolator


def independent_frontier(
    points: Iterable[tuple[float, float]], targets: Sequence[float]
) -> dict[float, float]:
    """(interactivity, throughput) points → throughput at the targets inside the front's range."""
    return independent_readings(((x, y, y) for x, y in points), targets)


def by_label(values: dict[float, float]) -> dict[str, float]:
    """Keyed like the API's frontier values: `35.0` → `"35"`."""
    return {f"{target:g}": value for target, value in values.items()}


def independent_readings(
    points: Iterable[tuple[float, float, float]], targets: Sequence[float]
) -> dict[float, float]:
    """(interactivity, throughput, reading) points → the reading (a latency, an energy) along
    the brute-force throughput front, by scipy's PCHIP, at the targets inside the front's range."""
    points = list(points)
    front = sorted(
        (x, y, reading)
        for x, y, reading in points
        if not any((x2 >= x and y2 >= y) and (x2, y2) != (x, y) for x2, y2, _ in points)
    )
    if len(front) < 2:
        return {}
    curve = PchipInterpolator([p[0] for p in front], [p[2] for p in front], extrapolate=False)
    return {t: float(curve(t)) for t in targets if front[0][0] <= t <= front[-1][0]}
