"""The backfill pass: the one retrospective analysis of the tracks a backfill reached — when it
runs, what it covers, how it is handed out, when it is done (docs/data-flow.md#the-backfill-pass).

A backfill's worker writes its frontier values only. Once no backfill has been written for ten
of the stream's typical gaps (`quiet_seconds`), one planner claims the written backfills,
waits for the analyses holding their tracks (`wait_for_analyses`, a bounded number of locks at a
time), creates and flags their tracks (`plan_pass`) and hands the flagged tracks
out in batches (`batches`); each batch analyses its tracks from scratch
(`change_points.detect_on_tracks`), and the backfills are marked processed once no track waits
(`mark_backfills_processed`). A pass whose batch was lost with its worker is handed out again
(`pass_stalled`). The transaction boundaries that run these are in `tracker.pipeline.jobs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.locks import track_locks_for
from tracker.processing.tracks import ensure_tracks
from tracker.vocabulary import SubmissionStatus

_ACCEPTED_BACKFILL = (
    models.Submission.backfill.is_(True),
    models.Submission.status == SubmissionStatus.ACCEPTED,
)
"""Backfills the pass has not yet marked processed."""


def _accepted_backfill_exists(session: Session, condition: ColumnElement[bool]) -> bool:
    return (
        session.execute(
            select(models.Submission.id).where(*_ACCEPTED_BACKFILL, condition).limit(1)
        ).first()
        is not None
    )


def backfill_frontier_outstanding(*, session: Session) -> bool:
    """Whether some backfill still waits for its frontier values (the pass waits too)."""
    return _accepted_backfill_exists(session, models.Submission.frontier_written_at.is_(None))


@dataclass(frozen=True)
class BackfillWrites:
    """The rhythm at which backfills not yet planned for the pass have been written."""

    latest: datetime
    typical_gap_s: float | None
    """Mean gap between the most recent writes; None after a single one."""


RHYTHM_SAMPLE = 50
"""Recent writes the typical gap is taken over."""

QUIET_GAPS = 10
"""The pass starts once no backfill has been written for this many of the stream's typical gaps
between writes, so that a history still streaming in gets one pass, not one per submission. A
pass started by a pause longer than that is correct, only repeated for the tracks that more data
then reaches."""
QUIET_MIN_SECONDS = 0.25
QUIET_MAX_SECONDS = 2.0
"""Also the wait after a single backfill, whose rhythm is unknown."""

BATCH_TRACKS = 250
"""Tracks analysed per transaction (bounded lock time and memory); batches may run in parallel,
in any order."""


def unplanned_backfill_writes(*, session: Session) -> BackfillWrites | None:
    """When and how often backfills not yet planned for the pass were written; None when every
    written backfill is planned."""
    recent = list(
        session.execute(
            select(models.Submission.frontier_written_at)
            .where(
                *_ACCEPTED_BACKFILL,
                models.Submission.frontier_written_at.is_not(None),
                models.Submission.detection_planned_at.is_(None),
            )
            .order_by(models.Submission.frontier_written_at.desc())
            .limit(RHYTHM_SAMPLE)
        ).scalars()
    )
    if not recent:
        return None
    latest, earliest = recent[0], recent[-1]
    assert latest is not None and earliest is not None  # filtered above
    gaps = len(recent) - 1
    typical_gap_s = (latest - earliest).total_seconds() / gaps if gaps else None
    return BackfillWrites(latest=latest, typical_gap_s=typical_gap_s)


def quiet_seconds(writes: BackfillWrites) -> float:
    """How long after the latest backfill write the pass waits: ten typical gaps, bounded."""
    if writes.typical_gap_s is None:
        return QUIET_MAX_SECONDS
    quiet_s = QUIET_GAPS * writes.typical_gap_s
    return min(max(quiet_s, QUIET_MIN_SECONDS), QUIET_MAX_SECONDS)


TRACKS_PER_STATEMENT = 5_000
"""Track (or backfill) ids bound in one statement: well under every driver's limit on
parameters."""

_UNPLANNED_WRITTEN_BACKFILL = (
    *_ACCEPTED_BACKFILL,
    models.Submission.frontier_written_at.is_not(None),
    models.Submission.detection_planned_at.is_(None),
)


@dataclass(frozen=True)
class PassScope:
    """What the next plan covers: the backfills written and not yet planned, and the tracks
    that existed for their values when they were read."""

    backfill_ids: tuple[int, ...]
    track_ids: tuple[int, ...]


def pass_scope(*, session: Session) -> PassScope:
    """The backfills the next `plan_pass` may claim, and the existing tracks they reach (every
    one of them: a backfill written after its ids were read adds tracks here, never removes)."""
    backfill_ids = tuple(
        session.execute(
            select(models.Submission.id)
            .where(*_UNPLANNED_WRITTEN_BACKFILL)
            .order_by(models.Submission.id)
        ).scalars()
    )
    if not backfill_ids:
        return PassScope((), ())
    unplanned_sweeps = (
        select(models.Sweep.id)
        .join(models.Submission, models.Submission.source_run_id == models.Sweep.source_run_id)
        .where(*_UNPLANNED_WRITTEN_BACKFILL)
    )
    reached = (
        select(
            models.FrontierValue.config_id,
            models.FrontierValue.metric,
            models.FrontierValue.interactivity,
        )
        .where(models.FrontierValue.sweep_id.in_(unplanned_sweeps))
        .distinct()
        .subquery()
    )
    track_ids = tuple(
        session.execute(
            select(models.Track.id)
            .join(
                reached,
                (models.Track.config_id == reached.c.config_id)
                & (models.Track.metric == reached.c.metric)
                & (models.Track.interactivity == reached.c.interactivity),
            )
            .order_by(models.Track.id)
        ).scalars()
    )
    return PassScope(backfill_ids, track_ids)


def wait_for_analyses(*, session: Session, track_ids: Sequence[int]) -> None:
    """Block until no analysis that began earlier holds any of ``track_ids``: it takes their
    locks, which the caller's commit releases. Callers pass at most `BATCH_TRACKS` tracks a
    transaction, so that the locks held at once stay bounded whatever the backfill's size
    (Postgres keeps advisory locks in a shared table of fixed size)."""
    track_locks_for(session).lock(session, track_ids)


def plan_pass(*, session: Session, now: datetime, scope: PassScope) -> int:
    """Flag for the pass the tracks of the backfills in ``scope`` not planned meanwhile.

    Call it after `wait_for_analyses` has taken and released, in transactions of its own, the
    locks of every track in ``scope``: an analysis holds a track's lock from reading its history
    to clearing its flag, so every analysis that could have read a history without the
    backfills' values (committed before ``scope`` was read) has ended, and a flag set here is
    never cleared by one that did not see the data it was set for. Later analyses see that data.

    Claims those backfills (stamped ``detection_planned_at``), creates the tracks they brought
    (flagged already: no batch sees them before this commits), and flags the ones that existed.
    A track another transaction created since ``scope`` was read is analysed by whoever sees it,
    after the claimed backfills' values were committed. Returns how many backfills were
    claimed. Never commits.
    """
    claimed_count = 0
    for start in range(0, len(scope.backfill_ids), TRACKS_PER_STATEMENT):
        claimed = (
            update(models.Submission)
            .where(
                models.Submission.id.in_(scope.backfill_ids[start : start + TRACKS_PER_STATEMENT]),
                *_UNPLANNED_WRITTEN_BACKFILL,
            )
            .values(detection_planned_at=now)
        )
        claimed_count += int(session.execute(claimed).rowcount)  # type: ignore[attr-defined]
    if not claimed_count:
        return 0
    planned_sweeps = (
        select(models.Sweep.id)
        .join(models.Submission, models.Submission.source_run_id == models.Sweep.source_run_id)
        .where(models.Submission.detection_planned_at == now)
    )
    keys = session.execute(
        select(
            models.FrontierValue.config_id,
            models.FrontierValue.metric,
            models.FrontierValue.interactivity,
        )
        .where(models.FrontierValue.sweep_id.in_(planned_sweeps))
        .distinct()
    ).all()
    track_keys = [(config_id, metric, x) for config_id, metric, x in keys]
    tracks = ensure_tracks(session=session, keys=track_keys, flag_new=True)
    # A track new to this transaction has no analysis older than the data planned here.
    existing = sorted(track_id for track_id in tracks.ids.values() if track_id not in tracks.new)
    for start in range(0, len(existing), TRACKS_PER_STATEMENT):
        session.execute(
            update(models.Track)
            .where(
                models.Track.id.in_(existing[start : start + TRACKS_PER_STATEMENT]),
                models.Track.needs_full_analysis.is_(False),
            )
            .values(needs_full_analysis=True)
        )
    return claimed_count


STALLED_PASS_GIVE_UP_FACTOR = 10
"""Nightly analyses count as progress too, so a pass whose batch was lost while nights keep
arriving is handed out again anyway once its backfills have waited this many stall delays."""


def pass_stalled(*, session: Session, now: datetime, stalled_after_s: float) -> bool:
    """Whether a planned backfill still waits while no track has been analysed for
    ``stalled_after_s``, or has waited `STALLED_PASS_GIVE_UP_FACTOR` times that: a batch was
    lost (a long pass that is progressing is not stalled)."""
    quiet_since = now - timedelta(seconds=stalled_after_s)
    if not _accepted_backfill_exists(session, models.Submission.detection_planned_at < quiet_since):
        return False
    given_up_since = now - timedelta(seconds=stalled_after_s * STALLED_PASS_GIVE_UP_FACTOR)
    if _accepted_backfill_exists(session, models.Submission.detection_planned_at < given_up_since):
        return True
    last_analysed = session.execute(select(func.max(models.Track.analysed_at))).scalar()
    return last_analysed is None or last_analysed < quiet_since


def tracks_awaiting_pass(*, session: Session) -> list[int]:
    return list(
        session.execute(
            select(models.Track.id)
            .where(models.Track.needs_full_analysis.is_(True))
            .order_by(models.Track.id)
        ).scalars()
    )


def mark_backfills_processed(*, session: Session, now: datetime) -> int:
    """Once the pass has no track left to analyse, mark processed every planned
    backfill (its planner flagged its tracks in the transaction that stamped it, so each of
    them has since been analysed with its data). One cheap check, whatever the history's size;
    a backfill planned while another pass runs waits for both."""
    pass_unfinished = (
        select(models.Track.id).where(models.Track.needs_full_analysis.is_(True)).exists()
    )
    result = session.execute(
        update(models.Submission)
        .where(
            *_ACCEPTED_BACKFILL,
            models.Submission.detection_planned_at.is_not(None),
            ~pass_unfinished,
        )
        .values(status=SubmissionStatus.PROCESSED, processed_at=now, error=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def batches(track_ids: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """The flagged tracks in batches of `BATCH_TRACKS`."""
    return tuple(
        tuple(track_ids[start : start + BATCH_TRACKS])
        for start in range(0, len(track_ids), BATCH_TRACKS)
    )
