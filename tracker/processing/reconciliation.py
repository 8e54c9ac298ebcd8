"""Reconciling a track's confirmed change points with the stored ones, written in bulk
(docs/detection.md#reconciling-stored-change-points).

A found change within SAME_CHANGE_RUNS runs of a stored one in the same direction is that change,
moved by more data: it keeps its id and is updated; a found change without a match is inserted; a
stored confirmed change the analysis no longer finds is retracted and kept. Stored changes are
read as plain rows and every write of a batch of tracks is one executemany, so the cost per track
is Python, not a round trip.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.repositories import compare_url, known_repository
from tracker.detection import ChangePoint, TrackAnalysis
from tracker.processing.tracks import TrackHistory
from tracker.vocabulary import ChangeDirection, ChangeState, Metric

# A stored change whose first changed run is this close to a newly found one, in the same
# direction, is the same change that more data has moved.
SAME_CHANGE_RUNS = 2

_TABLE = models.ChangePoint.__table__
# What an analysis sets on a change point; a stored one equal in all of them is not rewritten.
_FOUND_COLUMNS = (
    "engine",
    "direction",
    "state",
    "retracted_at",
    "sweep_id",
    "previous_sweep_id",
    "run_timestamp",
    "previous_timestamp",
    "range_start_sweep_id",
    "range_end_sweep_id",
    "range_start_timestamp",
    "range_end_timestamp",
    "before",
    "after",
    "relative_change",
    "p_value",
    "commit_from",
    "commit_to",
    "compare_url",
    "components_changed",
)


@dataclass(frozen=True)
class TrackIdentity:
    id: int
    config_id: int
    metric: Metric
    interactivity: float


def stored_change_points(session: Session, track_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """The tracks' stored change points as rows (confirmed and retracted), in id order."""
    stored: dict[int, list[Row[Any]]] = defaultdict(list)
    columns = [_TABLE.c[name] for name in ("id", "track_id", "updated_at", *_FOUND_COLUMNS)]
    for row in session.execute(
        select(*columns)
        .where(_TABLE.c.track_id.in_(track_ids))
        .order_by(_TABLE.c.id)  # ties go the same way on every replay of a history
    ):
        stored[row.track_id].append(row)
    return stored


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

    track: TrackIdentity
    point: ChangePoint
    sweep_id: int
    previous_sweep_id: int
    run_timestamp: datetime
    previous_timestamp: datetime
    range_start_sweep_id: int
    range_end_sweep_id: int
    range_start_timestamp: datetime
    range_end_timestamp: datetime


def _found(
    track: TrackIdentity, history: TrackHistory, point: ChangePoint, outliers: set[int]
) -> _Found:
    previous = _last_unchanged_index(point.index, outliers)
    range_start = _last_unchanged_index(point.first, outliers)
    return _Found(
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


def _closest(
    candidates: list[Row[Any]], point: ChangePoint, position: dict[int, int]
) -> Row[Any] | None:
    best, best_distance = None, SAME_CHANGE_RUNS + 1
    for change in candidates:  # confirmed ones come first, so they win ties
        if change.direction.value != point.direction.value or change.sweep_id not in position:
            continue
        stored_at = position[change.sweep_id]
        distance = 0 if point.first <= stored_at <= point.last else abs(stored_at - point.index)
        if distance < best_distance:
            best, best_distance = change, distance
    return best


class Reconciler:
    """Matches found changes to stored ones per track; writes them, with their commit ranges,
    in one statement per kind of write."""

    def __init__(self, *, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.to_insert: list[_Found] = []
        self.to_update: list[tuple[Row[Any], _Found]] = []
        self.to_retract: list[int] = []
        self.inserted = self.updated = self.retracted = 0

    def reconcile(
        self,
        track: TrackIdentity,
        history: TrackHistory,
        analysis: TrackAnalysis,
        stored: list[Row[Any]],
    ) -> None:
        if not analysis.change_points and not stored:
            return
        position = {sweep_id: index for index, sweep_id in enumerate(history.sweep_ids)}
        outliers = set(analysis.outliers)
        unmatched = sorted(stored, key=lambda c: c.state is not ChangeState.CONFIRMED)
        for point in analysis.change_points:
            found = _found(track, history, point, outliers)
            match = _closest(unmatched, point, position)
            if match is None:
                self.to_insert.append(found)
            else:
                unmatched.remove(match)
                self.to_update.append((match, found))
        self.to_retract += [c.id for c in unmatched if c.state is ChangeState.CONFIRMED]

    def write(self) -> None:
        every_found = self.to_insert + [found for _, found in self.to_update]
        range_ends = [(f.range_start_sweep_id, f.range_end_sweep_id) for f in every_found]
        sources = _sweep_sources(self.session, {sweep for pair in range_ends for sweep in pair})
        inserts = [
            {
                "track_id": found.track.id,
                "config_id": found.track.config_id,
                "metric": found.track.metric,
                "interactivity": found.track.interactivity,
                "detected_at": self.now,
                "updated_at": self.now,
                **_found_values(found, sources),
            }
            for found in self.to_insert
        ]
        updates = [
            row
            for stored, found in self.to_update
            if (row := self._update(stored, _found_values(found, sources))) is not None
        ]
        retractions = [
            {
                "id": change_id,
                "state": ChangeState.RETRACTED,
                "retracted_at": self.now,
                "updated_at": self.now,
            }
            for change_id in self.to_retract
        ]
        for statement, rows in (
            (insert(models.ChangePoint), inserts),
            (update(models.ChangePoint), updates),  # executemany by primary key
            (update(models.ChangePoint), retractions),
        ):
            if rows:
                self.session.execute(statement, rows)
        self.inserted += len(inserts)
        self.updated += len(self.to_update)
        self.retracted += len(retractions)

    def _update(self, stored: Row[Any], values: dict[str, Any]) -> dict[str, Any] | None:
        """The row that brings `stored` to `values`, or None when it is already there."""
        if all(getattr(stored, name) == value for name, value in values.items()):
            return None
        moved_or_revived = (
            stored.sweep_id != values["sweep_id"]
            or stored.range_start_sweep_id != values["range_start_sweep_id"]
            or stored.range_end_sweep_id != values["range_end_sweep_id"]
            or stored.state is not ChangeState.CONFIRMED
        )
        # Levels drift a little with every night; that is not news.
        updated_at = self.now if moved_or_revived else stored.updated_at
        return {"id": stored.id, "updated_at": updated_at, **values}


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


def _found_values(found: _Found, sources: dict[int, _SweepSource]) -> dict[str, Any]:
    """Every column in _FOUND_COLUMNS, as this analysis has it."""
    point = found.point
    after_source = sources[found.range_end_sweep_id]
    before_source = sources[found.range_start_sweep_id]
    repo = after_source.repo or known_repository(after_source.engine)
    return {
        "engine": after_source.engine,
        "direction": ChangeDirection(point.direction.value),
        "state": ChangeState.CONFIRMED,
        "retracted_at": None,
        "sweep_id": found.sweep_id,
        "previous_sweep_id": found.previous_sweep_id,
        "run_timestamp": found.run_timestamp.astimezone(UTC),
        "previous_timestamp": found.previous_timestamp.astimezone(UTC),
        "range_start_sweep_id": found.range_start_sweep_id,
        "range_end_sweep_id": found.range_end_sweep_id,
        "range_start_timestamp": found.range_start_timestamp.astimezone(UTC),
        "range_end_timestamp": found.range_end_timestamp.astimezone(UTC),
        "before": point.before,
        "after": point.after,
        "relative_change": point.relative_change,
        "p_value": point.p_value,
        "commit_from": before_source.commit or before_source.image,
        "commit_to": after_source.commit or after_source.image,
        "compare_url": (
            compare_url(repo, before_source.commit, after_source.commit)
            if repo and before_source.commit and after_source.commit
            else None
        ),
        "components_changed": components_changed(before_source, after_source),
    }
