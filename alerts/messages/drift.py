"""Slack text of a drift alert: one engine and slice whose level slid past the drift threshold
in steps not all told by step alerts — "sglang on MI355X dsr1 FP8 1k/1k: −7.6 % from its best of
Nov 2 in 4 steps below the threshold (−2.0, −1.9, −2.1, −1.8 %)", with the part no step alert
tells when step alerts tell some of it ("−9.1 % (−4.0 % of it in no step alert)")."""

from __future__ import annotations

from alerts.messages import dimensions, formatting
from alerts.messages.blocks import Message
from alerts.messages.markup import Line, bold, line
from alerts.messages.metrics import METRIC_LABEL
from alerts.messages.model import DriftSummary, DriftTrack
from alerts.messages.notice import notice_message, resolution_message


def _reference(drift: DriftSummary) -> DriftTrack:
    """The track quoted in the headline: the largest slide."""
    return min(drift.tracks, key=lambda track: (track.relative_change, track.series_id))


def steps_phrase(track: DriftTrack) -> str:
    if not track.steps:
        return "a gradual slide, no single step"
    moves = ", ".join(formatting.signed_percent(step.relative_change) for step in track.steps)
    return f"{formatting.plural(len(track.steps), 'step')} below the threshold ({moves})"


def untold_phrase(track: DriftTrack) -> str:
    """The part of the slide no step alert tells, when step alerts tell the rest."""
    if track.untold is None:
        return ""
    untold = formatting.signed_percent(track.untold)
    if untold == formatting.signed_percent(track.relative_change):
        return ""
    return f" ({untold} of it in no step alert)"


def drift_headline(drift: DriftSummary) -> str:
    track = _reference(drift)
    series = len({entry.series_id for entry in drift.tracks})
    moved = formatting.signed_percent(track.relative_change)
    return (
        f"{drift.engine} on {drift.slice} drifted {moved}{untold_phrase(track)} from its best of "
        f"{formatting.day(track.best_timestamp)} in {steps_phrase(track)}; "
        f"{formatting.plural(series, 'series', 'series')}"
    )


def _track_line(drift: DriftSummary, track: DriftTrack) -> Line:
    return line(
        "• ",
        dimensions.series_label(track.config, engine=drift.engine),
        f" (series {track.series_id}) — {METRIC_LABEL.get(track.metric, track.metric.value)} at "
        f"{formatting.interactivity(track.interactivity)} tok/s/user: "
        f"{formatting.throughput(track.best)} ({formatting.day(track.best_timestamp)}) → "
        f"{formatting.throughput(track.level)} ({formatting.signed_percent(track.relative_change)})"
        f"{untold_phrase(track)}, {steps_phrase(track)}",
    )


def drift_parent(drift: DriftSummary) -> Message:
    ordered = sorted(drift.tracks, key=lambda t: (t.relative_change, t.series_id))
    return notice_message(
        alert_id=drift.alert_id,
        state=drift.state,
        title=f"Drift in {drift.engine} on {drift.slice}",
        lines=[
            line(bold(drift_headline(drift))),
            line("No step alert tells all of it: steps below the reporting threshold add up."),
        ],
        items=[_track_line(drift, track) for track in ordered],
        item_noun="tracks",
        url=drift.url,
    )


def drift_resolution(drift: DriftSummary) -> Message:
    return resolution_message(
        alert_id=drift.alert_id,
        lines=[line(f"{drift.engine} on {drift.slice} is back within the drift threshold.")],
    )
