"""The PNG posted in an alert's thread: the most affected series and its fronts.

Left: the track over time, outlier nights marked apart, the change as a vertical line and the
levels before and after as horizontal segments. Right: the Pareto fronts before and after
(interactivity against throughput per GPU) with the target interactivity marked. Okabe–Ito
colours, and marker shapes as well as colours, so the chart reads without colour vision.
Rendered with matplotlib's Agg canvas on a `Figure` of its own (no pyplot, no display, no
global state), always 1200 × 500 pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from alerts.messages.model import AlertChart, FrontPoint

WIDTH_PX = 1200
HEIGHT_PX = 500
DPI = 100

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour vision.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREY = "#7F7F7F"
BEFORE_COLOUR = BLUE
AFTER_COLOUR = ORANGE


def render_alert_chart(chart: AlertChart) -> bytes:
    """The chart as PNG bytes, 1200 × 500 pixels."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(chart.title, fontsize=13)
    track_axes, front_axes = figure.subplots(
        1, 2, gridspec_kw={"width_ratios": (3, 2), "wspace": 0.22}
    )
    _draw_track(track_axes, chart)
    _draw_fronts(front_axes, chart)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.86, bottom=0.13)
    buffer = io.BytesIO()
    # No software/date metadata: identical input gives identical bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _draw_track(axes: Axes, chart: AlertChart) -> None:
    axes.set_title("Throughput per GPU by night", fontsize=11)
    axes.set_ylabel("tok/s/GPU")
    axes.grid(True, color="#DDDDDD", linewidth=0.8)
    if not chart.points:
        _say_no_data(axes, "no runs to show")
        return
    kept = [point for point in chart.points if not point.outlier]
    outliers = [point for point in chart.points if point.outlier]
    if kept:
        axes.plot(
            [_day_number(point.timestamp) for point in kept],
            [point.value for point in kept],
            linestyle="none",
            marker="o",
            markersize=5,
            color=BLACK,
            label="nightly value",
        )
    if outliers:
        axes.plot(
            [_day_number(point.timestamp) for point in outliers],
            [point.value for point in outliers],
            linestyle="none",
            marker="X",
            markersize=8,
            color=VERMILLION,
            label="outlier night",
        )
    first = min(_day_number(point.timestamp) for point in chart.points)
    last = max(_day_number(point.timestamp) for point in chart.points)
    change = _day_number(chart.change_timestamp)
    axes.hlines(
        chart.before_level,
        first,
        change,
        colors=BEFORE_COLOUR,
        linewidth=2.5,
        label=f"before: {chart.before_level:,.0f}",
    )
    axes.hlines(
        chart.after_level,
        change,
        last,
        colors=AFTER_COLOUR,
        linewidth=2.5,
        linestyles="dashed",
        label=f"after: {chart.after_level:,.0f}",
    )
    axes.axvline(change, color=GREY, linestyle=":", linewidth=1.5, label="change")
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib.dates is untyped
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.legend(loc="best", fontsize=9, framealpha=0.9)


def _draw_fronts(axes: Axes, chart: AlertChart) -> None:
    axes.set_title("Pareto front before and after", fontsize=11)
    axes.set_xlabel("interactivity (tok/s/user)")
    axes.set_ylabel("tok/s/GPU")
    axes.grid(True, color="#DDDDDD", linewidth=0.8)
    if not chart.front_before and not chart.front_after:
        _say_no_data(axes, "no fronts to show")
        axes.set_yticks([])
    _plot_front(
        axes, chart.front_before, colour=BEFORE_COLOUR, marker="o", style="-", label="before"
    )
    _plot_front(axes, chart.front_after, colour=AFTER_COLOUR, marker="s", style="--", label="after")
    axes.axvline(
        chart.interactivity,
        color=GREY,
        linestyle=":",
        linewidth=1.5,
        label=f"target {chart.interactivity:g} tok/s/user",
    )
    axes.legend(loc="best", fontsize=9, framealpha=0.9)


def _plot_front(
    axes: Axes, front: Sequence[FrontPoint], *, colour: str, marker: str, style: str, label: str
) -> None:
    if not front:
        return
    ordered = sorted(front, key=lambda point: point.interactivity)
    axes.plot(
        [point.interactivity for point in ordered],
        [point.throughput for point in ordered],
        color=colour,
        marker=marker,
        linestyle=style,
        linewidth=2,
        markersize=5,
        label=label,
    )


def _day_number(moment: datetime) -> float:
    """Matplotlib's date number (days since its epoch) of an aware timestamp."""
    return float(date2num(moment))  # type: ignore[no-untyped-call]


def _say_no_data(axes: Axes, words: str) -> None:
    axes.text(0.5, 0.5, words, transform=axes.transAxes, ha="center", va="center", color=GREY)
