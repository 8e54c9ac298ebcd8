"""An independent reading of a sweep's frontier values, for checking the tracker's: a brute-force
Pareto front (quadratic dominance check) and scipy's PCHIP through it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scipy.interpolate import PchipInterpolator


def independent_frontier(
    points: Iterable[tuple[float, float]], targets: Sequence[float]
) -> dict[float, float]:
    """(interactivity, throughput) points → throughput at the targets inside the front's range."""
    points = list(points)
    front = sorted(
        (x, y)
        for x, y in points
        if not any((x2 >= x and y2 >= y) and (x2, y2) != (x, y) for x2, y2 in points)
    )
    if len(front) < 2:
        return {}
    curve = PchipInterpolator([x for x, _ in front], [y for _, y in front], extrapolate=False)
    return {t: float(curve(t)) for t in targets if front[0][0] <= t <= front[-1][0]}


def by_label(values: dict[float, float]) -> dict[str, float]:
    """Keyed like the API's frontier values: `35.0` → `"35"`."""
    return {f"{target:g}": value for target, value in values.items()}
