"""Tracks: a series' values of one metric at one target interactivity, in run order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ARRAY, Float, and_, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.dialect import insert_ignoring_conflicts, is_postgres
from tracker.vocabulary import Metric

TrackKey = tuple[int, Metric, float]
"""(config id, metric, target interactivity)."""


@dataclass(frozen=True)
class TrackHistory:
    """A track's runs, oldest first (by source timestamp, then sweep id)."""

    track_id: int
    values: list[float]
    sweep_ids: list[int]
    times: list[float]  # the runs' source timestamps, in seconds since the epoch

    def timestamp(self, index: int) -> datetime:
        return datetime.fromtimestamp(self.times[index], UTC)


@dataclass(frozen=True)
class EnsuredTracks:
    ids: dict[TrackKey, int]
    new: frozenset[int]
    """The tracks that did not exist when looked up: inserted by this call (flagged for the
    backfill pass already with ``flag_new``) or by a transaction that committed meanwhile."""


def ensure_tracks(
    *, session: Session, keys: Iterable[TrackKey], flag_new: bool = False
) -> EnsuredTracks:
    """Track ids for ``keys``, creating the tracks not seen before.

    Most nights touch known tracks only, so they are looked up first and just the missing ones
    inserted — in key order, so that two transactions creating overlapping tracks wait for
    each other instead of deadlocking.
    """
    ordered = sorted(set(keys), key=lambda key: (key[0], key[1].value, key[2]))
    if not ordered:
        return EnsuredTracks({}, frozenset())
    known = _track_ids(session, ordered)
    missing = [key for key in ordered if key not in known]
    if not missing:
        return EnsuredTracks(known, frozenset())
    session.execute(  # an executemany: RETURNING would make it a slower multi-row VALUES
        insert_ignoring_conflicts(session, models.Track, ("config_id", "metric", "interactivity")),
        [
            {
                "config_id": config_id,
                "metric": metric,
                "interactivity": interactivity,
                "detector_state": None,
                "outlier_sweep_ids": [],
                "suspected": [],
                "needs_full_analysis": flag_new,
            }
            for config_id, metric, interactivity in missing
        ],
    )
    created = _track_ids(session, missing)
    known.update(created)
    return EnsuredTracks(known, frozenset(created.values()))


def _track_ids(session: Session, keys: list[TrackKey]) -> dict[TrackKey, int]:
    # The tracks of the keys' configs, filtered here: one index range per config, where a
    # row-constructor IN over hundreds of keys makes Postgres plan badly.
    wanted = set(keys)
    query = select(
        models.Track.config_id, models.Track.metric, models.Track.interactivity, models.Track.id
    ).where(models.Track.config_id.in_({config_id for config_id, _, _ in keys}))
    rows = session.connection().execute(query).all()  # plain Core rows, no ORM row loading
    return {
        (config_id, metric, x): track_id
        for config_id, metric, x, track_id in rows
        if (config_id, metric, x) in wanted
    }


def _joined_values() -> tuple[object, ...]:
    return (
        models.FrontierValue.config_id == models.Track.config_id,
        models.FrontierValue.metric == models.Track.metric,
        models.FrontierValue.interactivity == models.Track.interactivity,
    )


def load_histories(*, session: Session, track_ids: Sequence[int]) -> dict[int, TrackHistory]:
    """Every track's full history; on Postgres aggregated per track by the server."""
    if not track_ids:
        return {}
    order = (models.FrontierValue.timestamp, models.FrontierValue.sweep_id)
    join = models.FrontierValue.__table__.join(
        models.Track.__table__,
        and_(*_joined_values()),  # type: ignore[arg-type]
    )
    if is_postgres(session):
        # Seconds, not timestamps: arrays of floats arrive without per-element conversion.
        epoch = func.date_part("epoch", models.FrontierValue.timestamp, type_=Float)
        query = (
            select(
                models.Track.id,
                func.array_agg(aggregate_order_by(models.FrontierValue.value, *order)),
                func.array_agg(aggregate_order_by(models.FrontierValue.sweep_id, *order)),
                func.array_agg(aggregate_order_by(epoch, *order), type_=ARRAY(Float)),
            )
            .select_from(join)
            .where(models.Track.id.in_(track_ids))
            .group_by(models.Track.id)
        )
        rows = session.connection().execute(query).all()  # plain Core rows, no ORM row loading
        return {
            track_id: TrackHistory(track_id, list(values), list(sweeps), list(times))
            for track_id, values, sweeps, times in rows
        }
    columns: dict[int, tuple[list[float], list[int], list[float]]] = defaultdict(
        lambda: ([], [], [])
    )
    for track_id, value, sweep_id, timestamp in session.execute(
        select(
            models.Track.id,
            models.FrontierValue.value,
            models.FrontierValue.sweep_id,
            models.FrontierValue.timestamp,
        )
        .select_from(join)
        .where(models.Track.id.in_(track_ids))
        .order_by(models.Track.id, *order)
    ).all():
        values, sweeps, times = columns[track_id]
        values.append(value)
        sweeps.append(sweep_id)
        times.append(timestamp.timestamp())
    return {
        track_id: TrackHistory(track_id, values, sweeps, times)
        for track_id, (values, sweeps, times) in columns.items()
    }


def find_track(
    *, session: Session, config_id: int, metric: Metric, interactivity: float
) -> models.Track | None:
    return session.execute(
        select(models.Track).where(
            models.Track.config_id == config_id,
            models.Track.metric == metric,
            models.Track.interactivity == interactivity,
        )
    ).scalar_one_or_none()
