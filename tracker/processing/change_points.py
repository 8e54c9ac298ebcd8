"""Running change-point detection on tracks and keeping their change points (docs/data-flow.md).

Each analysed track's confirmed change points are reconciled with the stored ones: a change that
moved by a run or two is the same change (same id, updated); a new one is inserted; a stored
one the analysis no longer finds is retracted and kept. Only confirmed changes are stored;
suspected ones live on the track until enough later runs confirm them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.bulk import bulk_update
from tracker.db.locks import track_locks_for
from tracker.detection import (
    DetectionOptions,
    InvalidState,
    TrackAnalysis,
    TrackState,
    analyse_incremental,
)
from tracker.detection.drift import DriftOptions, find_drift
from tracker.processing.reconciliation import Reconciler, TrackIdentity, stored_change_points
from tracker.processing.tracks import TrackHistory, load_histories
from tracker.vocabulary import THROUGHPUT_METRICS, Metric


@dataclass(frozen=True)
class DetectionOutcome:
    tracks: int
    inserted: int
    updated: int
    retracted: int
    drift_changed: int = 0  # tracks that began or stopped drifting

    @property
    def changed(self) -> bool:
        """Whether alerts may need grouping or an edit."""
        return bool(self.inserted or self.retracted or self.drift_changed)


class AnalysedTrack(NamedTuple):
    id: int
    config_id: int
    metric: Metric
    interactivity: float
    detector_state: dict[str, Any] | None  # None when analysing from scratch
    drifting: bool


def _previous_state(track: AnalysedTrack) -> TrackState | None:
    if track.detector_state is None:
        return None
    try:
        return TrackState.from_dict(track.detector_state)
    except InvalidState:
        return None  # another version's state: analysing from scratch gives the right answer


# What an analysis writes on each track, after its id (and its drift, when assessed).
_ANALYSED_COLUMNS = (
    "detector_state",
    "outlier_sweep_ids",
    "suspected",
    "needs_full_analysis",
    "analysed_at",
)


def detect_on_tracks(
    *,
    session: Session,
    track_ids: Sequence[int],
    options: DetectionOptions,
    now: datetime,
    full: bool = False,
    only_flagged: bool = False,
    drift: DriftOptions | None = None,
) -> DetectionOutcome:
    """Analyse each track (incrementally unless ``full``) under its lock; store what it finds.

    With ``only_flagged``, tracks that no longer wait for the backfill pass (another batch
    analysed them meanwhile) are skipped. Never commits; the locks are held until the caller's
    transaction ends. With ``drift``, each throughput track's drift (a slide the reported steps do
    not tell all of) is kept on it too; other tracks' is cleared.
    """
    track_locks_for(session).lock(session, track_ids)
    state = null() if full else models.Track.detector_state
    query = select(
        models.Track.id,
        models.Track.config_id,
        models.Track.metric,
        models.Track.interactivity,
        state.label("detector_state"),
        models.Track.drift.is_not(None).label("drifting"),
    ).where(models.Track.id.in_(track_ids))
    if only_flagged:
        query = query.where(models.Track.needs_full_analysis.is_(True))
    tracks = [AnalysedTrack(*row) for row in session.connection().execute(query)]
    track_ids = [track.id for track in tracks]
    histories = load_histories(session=session, track_ids=track_ids)
    stored = stored_change_points(session, track_ids)
    reconciler = Reconciler(session=session, now=now)
    analysed: list[tuple[Any, ...]] = []
    drift_changed = 0
    for track in tracks:
        history = histories.get(track.id)
        if history is None:
            continue
        analysis, new_state = analyse_incremental(
            history.values,
            previous=_previous_state(track),
            higher_is_better=track.metric.higher_is_better,
            options=options,
            timestamps=history.times,
        )
        row: tuple[Any, ...] = (
            track.id,
            new_state.to_dict(),
            [history.sweep_ids[i] for i in analysis.outliers],
            _suspected(history, analysis),
            False,
            now,
        )
        if drift is not None:
            found = _drift(
                history,
                analysis,
                drift,
                drifting=bool(track.drifting),
                metric=track.metric,
            )
            drift_changed += (found is not None) != track.drifting
            row = (*row, found)
        analysed.append(row)
        identity = TrackIdentity(track.id, track.config_id, track.metric, track.interactivity)
        reconciler.reconcile(identity, history, analysis, stored.get(track.id, []))
    columns = _ANALYSED_COLUMNS + (("drift",) if drift is not None else ())
    bulk_update(session, models.Track.__table__, columns, analysed)  # type: ignore[arg-type]
    reconciler.write()
    return DetectionOutcome(
        len(analysed),
        reconciler.inserted,
        reconciler.updated,
        reconciler.retracted,
        drift_changed,
    )


def _suspected(history: TrackHistory, analysis: TrackAnalysis) -> list[dict[str, Any]]:
    return [
        {
            "sweep_id": history.sweep_ids[point.index],
            "timestamp": history.timestamp(point.index).isoformat(),
            "direction": point.direction.value,
            "relative_change": point.relative_change,
            "before": point.before,
            "after": point.after,
        }
        for point in analysis.suspected
    ]


def _drift(
    history: TrackHistory,
    analysis: TrackAnalysis,
    options: DriftOptions,
    *,
    drifting: bool,
    metric: Metric,
) -> dict[str, Any] | None:
    if metric not in THROUGHPUT_METRICS:
        return None  # a latency or energy value is read off the throughput front: see drift.py
    found = find_drift(
        history.values,
        history.times,
        higher_is_better=metric.higher_is_better,
        reported=(*analysis.change_points, *analysis.suspected),
        outliers=analysis.outliers,
        options=options,
        drifting=drifting,
    )
    if found is None:
        return None
    return {
        "best": found.best,
        "best_sweep_id": history.sweep_ids[found.best_index],
        "best_timestamp": history.timestamp(found.best_index).isoformat(),
        "level": found.level,
        "sweep_id": history.sweep_ids[-1],
        "timestamp": history.timestamp(len(history.values) - 1).isoformat(),
        "relative_change": found.relative_change,
        "untold": found.unexplained,
        "steps": [
            {
                "sweep_id": history.sweep_ids[step.index],
                "timestamp": history.timestamp(step.index).isoformat(),
                "relative_change": step.relative_change,
            }
            for step in found.steps
        ],
    }
