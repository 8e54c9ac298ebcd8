"""The PNG of the most affected series: valid, Slack-preview sized, robust to missing data."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from alerts.delivery.chart import HEIGHT_PX, WIDTH_PX, render_alert_chart
from tests.alerts.alert_samples import alert_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize(
    ("with_outliers", "with_fronts"), [(True, True), (False, True), (True, False), (False, False)]
)
def test_chart_is_a_1200_by_500_png_with_or_without_outliers_and_fronts(
    with_outliers: bool, with_fronts: bool
) -> None:
    png = render_alert_chart(alert_chart(with_outliers=with_outliers, with_fronts=with_fronts))

    assert png_size(png) == (WIDTH_PX, HEIGHT_PX) == (1200, 500)
    assert len(png) > 10_000, "a chart, not an empty canvas"


def test_chart_renders_a_track_without_points_and_long_titles_at_the_same_size() -> None:
    empty = replace(alert_chart(), points=(), title="x" * 400)

    assert png_size(render_alert_chart(empty)) == (1200, 500)


def test_outlier_nights_change_the_picture() -> None:
    assert render_alert_chart(alert_chart(with_outliers=True)) != render_alert_chart(
        alert_chart(with_outliers=False)
    )


def test_same_data_gives_the_same_bytes() -> None:
    assert render_alert_chart(alert_chart()) == render_alert_chart(alert_chart())
