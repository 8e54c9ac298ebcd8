"""Drift alert text: the slide, its steps, and the part no step alert tells."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.messages.drift import drift_headline, drift_parent
from alerts.messages.model import DriftStepSummary, DriftSummary, DriftTrack
from tests.alerts.alert_samples import config
from tracker.vocabulary import AlertState, Metric


def drift(*, relative_change: float, untold: float | None) -> DriftSummary:
    track = DriftTrack(
        series_id=7,
        config=config(),
        metric=Metric.TPUT_PER_GPU,
        interactivity=35.0,
        best=1000.0,
        best_timestamp=datetime(2026, 11, 2, 3, tzinfo=UTC),
        level=1000.0 * (1 + relative_change),
        timestamp=datetime(2026, 11, 30, 3, tzinfo=UTC),
        relative_change=relative_change,
        steps=(
            DriftStepSummary(datetime(2026, 11, 9, 3, tzinfo=UTC), -0.051),
            DriftStepSummary(datetime(2026, 11, 23, 3, tzinfo=UTC), -0.042),
        ),
        untold=untold,
    )
    return DriftSummary(
        alert_id=12, engine="sglang", state=AlertState.UNTRIAGED, slice="MI355X", tracks=(track,)
    )


def test_a_slide_step_alerts_tell_part_of_says_the_part_no_step_alert_tells() -> None:
    partly_told = drift(relative_change=-0.091, untold=-0.04)
    assert "drifted −9.1 % (−4.0 % of it in no step alert) from its best" in drift_headline(
        partly_told
    )
    text = str(drift_parent(partly_told))
    assert "(−4.0 % of it in no step alert)" in text
    assert "No step alert tells all of it" in text


def test_a_slide_no_step_alert_tells_any_of_says_the_slide_alone() -> None:
    for untold in (-0.091, None):  # None: a drift kept before the untold part was
        headline = drift_headline(drift(relative_change=-0.091, untold=untold))
        assert "drifted −9.1 % from its best" in headline
        assert "no step alert" not in headline
