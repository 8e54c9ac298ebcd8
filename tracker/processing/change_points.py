"""Running change-point detection on tracks and keeping their change points (docs/data-flow.md).

Each analysed track's confirmed change points are reconciled with the stored ones: a change that
moved by a run or two is the same change (same id, updated); a new one is inserted; a stored
one the analysis no longer finds is retracted and kept. Only confirmed changes are stored;
suspected ones live on the track until enough later runs confirm them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.repositories import compare_url, known_repository
from tracker.db.locks import track_locks_for
from tracker.detection import (
    ChangePoint,
    DetectionOptions,
    InvalidState,
    TrackAnalysis,
    TrackState,
    analyse_incremental,
)
from tracker.detection.drift import DriftOptions, find_drift
from tracker.processing.tracks import TrackHistory, load_histories
from tracker.vocabulary import ChangeDirection, ChangeState, Metric

# A stored change whose first changed run is this close to a newly found one, in the same
# direction, is the same change that more data has moved.
SAME_CHANGE_RUNS = 2


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
    transaction ends. With ``drift``, each track's drift (a slide no reported step explains) is
    kept on it too.
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
    tracks = [AnalysedTrack(*row) for row in session.execute(query)]
    track_ids = [track.id for track in tracks]
    histories = load_histories(session=session, track_ids=track_ids)
    stored = _stored_change_points(session, track_ids)
    reconciler = _Reconciler(session=session, now=now)
    analysed: list[dict[str, Any]] = []
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
        row: dict[str, Any] = {}
        if drift is not None:
            row["drift"] = _drift(
                history,
                analysis,
                drift,
                drifting=bool(track.drifting),
                higher_is_better=track.metric.higher_is_better,
            )
            drift_changed += (row["drift"] is not None) != track.drifting
        analysed.append(
            {
                **row,
                "id": track.id,
                "detector_state": new_state.to_dict(),
                "outlier_sweep_ids": [history.sweep_ids[i] for i in analysis.outliers],
                "suspected": _suspected(history, analysis),
                "needs_full_analysis": False,
                "analysed_at": now,
            }
        )
        reconciler.reconcile(track, history, analysis, stored.get(track.id, []))
    if analysed:
        session.execute(update(models.Track), analysed)  # executemany by primary key
    reconciler.write()
    return DetectionOutcome(
        len(analysed),
        reconciler.inserted,
        reconciler.updated,
        reconciler.retracted,
        drift_changed,
    )


def _stored_change_points(
    session: Session, track_ids: Sequence[int]
) -> dict[int, list[models.ChangePoint]]:
    stored: dict[int, list[models.ChangePoint]] = defaultdict(list)
    for change in session.execute(
        select(models.ChangePoint)
        .where(models.ChangePoint.track_id.in_(track_ids))
        .order_by(models.ChangePoint.id)  # ties go the same way on every replay of a history
    ).scalars():
        stored[change.track_id].append(change)
    return stored


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
    higher_is_better: bool,
) -> dict[str, Any] | None:
    found = find_drift(
        history.values,
        history.times,
        higher_is_better=higher_is_better,
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
        "steps": [
            {
                "sweep_id": history.sweep_ids[step.index],
                "timestamp": history.timestamp(step.index).isoformat(),
                "relative_change": step.relative_change,
            }
            for step in found.steps
        ],
    }


def _last_unchanged_index(index: int, outliers: set[int]) -> int:
    """The run before the change, skipping outliers: the commit range is (that run, change]."""
    previous = index - 1
    while previous > 0 and previous in outliers:
        previous -= 1
    return previous


@dataclass
class _Found:
    """A change the analysis found: its most likely run and the one before it, and the runs
    that bound its commit range (the last run before its location interval, and its last)."""

    track: AnalysedTrack
    point: ChangePoint
    sweep_id: int
    previous_sweep_id: int
    run_timestamp: datetime
    previous_timestamp: datetime
    range_start_sweep_id: int
    range_end_sweep_id: int
    range_start_timestamp: datetime
    range_end_timestamp: datetime


class _Reconciler:
    """Matches found changes to stored ones per track; writes them with their commit ranges."""

    def __init__(self, *, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.to_insert: list[_Found] = []
        self.to_update: list[tuple[models.ChangePoint, _Found]] = []
        self.inserted = self.updated = self.retracted = 0

    def reconcile(
        self,
        track: AnalysedTrack,
        history: TrackHistory,
        analysis: TrackAnalysis,
        stored: list[models.ChangePoint],
    ) -> None:
        if not analysis.change_points and not stored:
            return
        position = {sweep_id: index for index, sweep_id in enumerate(history.sweep_ids)}
        outliers = set(analysis.outliers)
        unmatched = sorted(stored, key=lambda c: c.state is not ChangeState.CONFIRMED)
        for point in analysis.change_points:
            previous = _last_unchanged_index(point.index, outliers)
            range_start = _last_unchanged_index(point.first, outliers)
            found = _Found(
                track=track,
                point=point,
                sweep_id=history.sweep_ids[point.index],
                previous_sweep_id=history.sweep_ids[previous],
                run_timestamp=history.timestamp(point.index),
                previous_timestamp=history.timestamp(previous),
                range_start_sweep_id=history.sweep_ids[range_start],
                range_end_sweep_id=history.sweep_ids[point.last],
                range_start_timestamp=history.timestamp(range_start),
                range_end_timestamp=history.timestamp(point.last),
            )
            match = self._closest(unmatched, point, position)
            if match is None:
                self.to_insert.append(found)
            else:
                unmatched.remove(match)
                self.to_update.append((match, found))
        for change in unmatched:
            if change.state is ChangeState.CONFIRMED:
                change.state = ChangeState.RETRACTED
                change.retracted_at = self.now
                change.updated_at = self.now
                self.retracted += 1

    @staticmethod
    def _closest(
        candidates: list[models.ChangePoint], point: ChangePoint, position: dict[int, int]
    ) -> models.ChangePoint | None:
        best, best_distance = None, SAME_CHANGE_RUNS + 1
        for change in candidates:  # confirmed ones come first, so they win ties
            if change.direction.value != point.direction.value or change.sweep_id not in position:
                continue
            stored_at = position[change.sweep_id]
            distance = 0 if point.first <= stored_at <= point.last else abs(stored_at - point.index)
            if distance < best_distance:
                best, best_distance = change, distance
        return best

    def write(self) -> None:
        every_found = self._all_found()
        sweep_ids = {f.range_start_sweep_id for f in every_found} | {
            f.range_end_sweep_id for f in every_found
        }
        sources = _sweep_sources(self.session, sweep_ids)
        for found in self.to_insert:
            change = models.ChangePoint(
                track_id=found.track.id,
                config_id=found.track.config_id,
                metric=found.track.metric,
                interactivity=found.track.interactivity,
                detected_at=self.now,
                state=ChangeState.CONFIRMED,
            )
            _apply(change, found, sources, self.now)
            self.session.add(change)
            self.inserted += 1
        for change, found in self.to_update:
            _apply(change, found, sources, self.now)
            self.updated += 1
        self.session.flush()

    def _all_found(self) -> list[_Found]:
        return self.to_insert + [found for _, found in self.to_update]


@dataclass(frozen=True)
class _SweepSource:
    engine: str
    commit: str | None
    image: str | None
    engine_version: str | None
    repo: str | None
    components: dict[str, str]


def _sweep_sources(session: Session, sweep_ids: set[int]) -> dict[int, _SweepSource]:
    if not sweep_ids:
        return {}
    rows = session.execute(
        select(
            models.Sweep.id,
            models.Sweep.components,
            models.SourceRun.engine,
            models.SourceRun.commit,
            models.SourceRun.image,
            models.SourceRun.engine_version,
            models.SourceRun.repo,
        )
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(models.Sweep.id.in_(sweep_ids))
    ).all()
    return {
        sweep_id: _SweepSource(engine, commit, image, version, repo, dict(components))
        for sweep_id, components, engine, commit, image, version, repo in rows
    }


def components_changed(before: _SweepSource, after: _SweepSource) -> dict[str, list[str | None]]:
    """Component versions that differ between the last unchanged run and the first changed."""
    old = {"engine_version": before.engine_version, "image": before.image, **before.components}
    new = {"engine_version": after.engine_version, "image": after.image, **after.components}
    return {
        name: [old.get(name), new.get(name)]
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }


def _apply(
    change: models.ChangePoint,
    found: _Found,
    sources: dict[int, _SweepSource],
    now: datetime,
) -> None:
    point = found.point
    after_source = sources[found.range_end_sweep_id]
    before_source = sources[found.range_start_sweep_id]
    repo = after_source.repo or known_repository(after_source.engine)
    moved_or_revived = (
        change.sweep_id != found.sweep_id
        or change.range_start_sweep_id != found.range_start_sweep_id
        or change.range_end_sweep_id != found.range_end_sweep_id
        or change.state is not ChangeState.CONFIRMED
    )
    change.engine = after_source.engine
    change.direction = ChangeDirection(point.direction.value)
    change.state = ChangeState.CONFIRMED
    change.retracted_at = None
    change.sweep_id = found.sweep_id
    change.previous_sweep_id = found.previous_sweep_id
    change.run_timestamp = found.run_timestamp.astimezone(UTC)
    change.previous_timestamp = found.previous_timestamp.astimezone(UTC)
    change.range_start_sweep_id = found.range_start_sweep_id
    change.range_end_sweep_id = found.range_end_sweep_id
    change.range_start_timestamp = found.range_start_timestamp.astimezone(UTC)
    change.range_end_timestamp = found.range_end_timestamp.astimezone(UTC)
    change.before = point.before
    change.after = point.after
    change.relative_change = point.relative_change
    change.p_value = point.p_value
    change.commit_from = before_source.commit or before_source.image
    change.commit_to = after_source.commit or after_source.image
    change.compare_url = (
        compare_url(repo, before_source.commit, after_source.commit)
        if repo and before_source.commit and after_source.commit
        else None
    )
    change.components_changed = components_changed(before_source, after_source)
    if moved_or_revived:  # levels drift a little with every night; that is not news
        change.updated_at = now
