"""Change-point analysis of a whole track, from scratch or night by night.

The answer for a track is defined by checkpoints every BLOCK_RUNS runs. At a checkpoint
the analysis window moves up to LOOKBACK_RUNS runs before it, and the change points and
outliers found before the new window start are settled: they had at least LOOKBACK_RUNS
later runs to confirm them. Analysing from scratch walks the same checkpoints as the
nightly path, so both give the same answer by construction, and a night costs one window
of at most LOOKBACK_RUNS + BLOCK_RUNS runs however long the history is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from tracker.detection.arrays import FloatArray
from tracker.detection.errors import InvalidTrack
from tracker.detection.results import ChangePoint, DetectionOptions, Direction, TrackAnalysis
from tracker.detection.state import STATE_VERSION, TrackState, history_digest
from tracker.detection.window import Shift, WindowFindings, analyse_window

BLOCK_RUNS = 256
LOOKBACK_RUNS = 512
# Settled runs before the window that it sees as context (never re-judged), so that the
# first runs of a window are judged against a level before them like any other run.
CONTEXT_RUNS = 32

DEFAULT_OPTIONS = DetectionOptions()


def _as_track(
    values: Sequence[float], timestamps: Sequence[float] | None
) -> tuple[FloatArray, FloatArray | None]:
    track = np.asarray(values, dtype=np.float64)
    if track.ndim != 1:
        raise InvalidTrack("values must be a flat sequence of numbers")
    if not np.all(np.isfinite(track)):
        raise InvalidTrack("values must be finite (leave missing runs out)")
    if timestamps is None:
        return track, None
    times = np.asarray(timestamps, dtype=np.float64)
    if times.shape != track.shape:
        raise InvalidTrack(f"{times.size} timestamps for {track.size} values")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
        raise InvalidTrack("timestamps must be finite and in non-decreasing order")
    return track, times


def _change_point(
    shift: Shift, *, higher_is_better: bool, timestamps: FloatArray | None
) -> ChangePoint:
    if shift.before != 0.0:
        relative_change = (shift.after - shift.before) / abs(shift.before)
    else:
        relative_change = math.copysign(math.inf, shift.after)
    return ChangePoint(
        index=shift.index,
        first=shift.first,
        last=shift.last,
        before=shift.before,
        after=shift.after,
        relative_change=relative_change,
        p_value=shift.p_value,
        direction=Direction.of(
            before=shift.before, after=shift.after, higher_is_better=higher_is_better
        ),
        timestamp=None if timestamps is None else float(timestamps[shift.index]),
    )


def _digest(track: FloatArray, timestamps: FloatArray | None, runs: int) -> str:
    return history_digest(track[:runs], None if timestamps is None else timestamps[:runs])


def _starting_state(
    previous: TrackState | None,
    *,
    track: FloatArray,
    timestamps: FloatArray | None,
    options: DetectionOptions,
    higher_is_better: bool,
) -> TrackState:
    """`previous` when it describes a prefix of this track, else the state before any run."""
    if (
        previous is not None
        and previous.version == STATE_VERSION
        and previous.options == options
        and previous.higher_is_better == higher_is_better
        and 0 <= previous.window_start <= previous.checkpoint <= track.size
        and previous.digest == _digest(track, timestamps, previous.checkpoint)
    ):
        return previous
    return TrackState(
        version=STATE_VERSION,
        options=options,
        higher_is_better=higher_is_better,
        checkpoint=0,
        window_start=0,
        digest=_digest(track, timestamps, 0),
        settled_change_points=(),
        settled_outliers=(),
    )


def _change_points(
    state: TrackState, findings: WindowFindings, timestamps: FloatArray | None
) -> tuple[ChangePoint, ...]:
    return state.settled_change_points + tuple(
        _change_point(shift, higher_is_better=state.higher_is_better, timestamps=timestamps)
        for shift in findings.shifts
    )


def _analyse_window(
    state: TrackState, track: FloatArray, end: int, options: DetectionOptions
) -> WindowFindings:
    """Findings in track[state.window_start:end], judged with settled runs as context."""
    start = state.window_start
    context_start = max(
        [start - CONTEXT_RUNS, 0]
        + [point.index for point in state.settled_change_points if point.index <= start]
    )
    findings = analyse_window(track[context_start:end], context_start, options)
    return WindowFindings(
        shifts=tuple(shift for shift in findings.shifts if shift.index >= start),
        outliers=tuple(index for index in findings.outliers if index >= start),
    )


def _settle(
    state: TrackState,
    findings: WindowFindings,
    *,
    checkpoint: int,
    timestamps: FloatArray | None,
) -> TrackState:
    """The state at a checkpoint, from the analysis of the window that ends there."""
    window_start = max(checkpoint - LOOKBACK_RUNS, 0)
    change_points = _change_points(state, findings, timestamps)
    outliers = state.settled_outliers + findings.outliers
    return replace(
        state,
        checkpoint=checkpoint,
        window_start=window_start,
        digest="",  # computed once, for the state handed back
        settled_change_points=tuple(p for p in change_points if p.index < window_start),
        settled_outliers=tuple(i for i in outliers if i < window_start),
    )


def analyse_incremental(
    values: Sequence[float],
    *,
    previous: TrackState | None,
    higher_is_better: bool,
    options: DetectionOptions = DEFAULT_OPTIONS,
    timestamps: Sequence[float] | None = None,
) -> tuple[TrackAnalysis, TrackState]:
    """Analyse a track's whole history, reusing the state returned for a shorter one.

    `values` are all runs so far, oldest first (`timestamps`, optional, the same runs'
    times, non-decreasing); `previous` is the state returned by the last call on this
    track, or None. The answer equals `analyse(values, ...)` exactly; the state is what
    to persist and pass back next time. A state that does not match (other options, a
    rewritten history, another method version) is ignored. Method: see `analyse`.
    """
    track, times = _as_track(values, timestamps)
    state = _starting_state(
        previous,
        track=track,
        timestamps=times,
        options=options,
        higher_is_better=higher_is_better,
    )
    while state.checkpoint + BLOCK_RUNS < track.size:
        checkpoint = state.checkpoint + BLOCK_RUNS
        findings = _analyse_window(state, track, checkpoint, options)
        state = _settle(state, findings, checkpoint=checkpoint, timestamps=times)
    findings = _analyse_window(state, track, track.size, options)
    change_points = _change_points(state, findings, times)
    last = track.size - 1
    analysis = TrackAnalysis(
        change_points=tuple(p for p in change_points if last - p.index >= options.confirm_runs),
        suspected=tuple(p for p in change_points if last - p.index < options.confirm_runs),
        outliers=state.settled_outliers + findings.outliers,
    )
    if state.checkpoint + BLOCK_RUNS == track.size:
        state = _settle(state, findings, checkpoint=track.size, timestamps=times)
    if state is previous:  # no checkpoint passed: the digest of the same runs still holds
        return analysis, state
    return analysis, replace(state, digest=_digest(track, times, state.checkpoint))


def analyse(
    values: Sequence[float],
    *,
    higher_is_better: bool,
    options: DetectionOptions = DEFAULT_OPTIONS,
    timestamps: Sequence[float] | None = None,
) -> TrackAnalysis:
    """Change points, suspected changes and outlier runs of a track.

    Method (per analysis window, `window.analyse_window`): values are taken on a log
    scale when all positive; single bad runs and pairs of adjacent ones that the track
    returns from are set aside as outliers (a two-sided Hampel identifier with the MAD of
    first differences as noise scale); binary segmentation with a BIC-like penalty
    proposes candidates (Scott & Knott 1974); backward elimination keeps those whose
    level-shift t-test passes after a Bonferroni search adjustment, under AR(1) errors
    when the residuals are serially correlated (Prais & Winsten 1954), as Hunter/Otava
    prunes E-divisive candidates (Fleming et al., ICPE 2023). A change is confirmed once
    `options.confirm_runs` runs follow its first changed run; until then it is suspected.
    Runs are taken in order, so missing nights and uneven spacing need no special care;
    `timestamps` only label the change points.
    """
    analysis, _state = analyse_incremental(
        values,
        previous=None,
        higher_is_better=higher_is_better,
        options=options,
        timestamps=timestamps,
    )
    return analysis


def detect_change_points(values: Sequence[float]) -> list[int]:
    """Retrospective detector for benchmarks: indices of the first runs of new segments.

    The confirmed change points of `analyse` with the default options (the same
    convention as the anchor detectors). Non-finite values count as missing runs: they
    are left out and the indices refer to positions in `values`.
    """
    track = np.asarray(values, dtype=np.float64)
    present = np.flatnonzero(np.isfinite(track))
    analysis = analyse(track[present].tolist(), higher_is_better=True)
    return [int(present[point.index]) for point in analysis.change_points]
