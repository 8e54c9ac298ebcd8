"""The backfill pass against backfills that keep arriving while it runs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import ScratchDatabases
from tests.support.builders import nightly_levels, synthetic_body
from tests.support.stored import (
    confirmed_changes,
    reanalyse_every_track,
    scratch_tracker,
    store_bodies,
)
from tracker import models
from tracker.clock import utc_now
from tracker.db.engine import transaction
from tracker.db.locks import track_locks_for
from tracker.pipeline.jobs import (
    analyse_backfill_batch,
    plan_backfill_pass,
    plan_written_backfills,
    run_backfill_pass,
    run_process_submission,
)
from tracker.processing import backfill_pass
from tracker.processing.change_points import detect_on_tracks
from tracker.settings import Settings
from tracker.vocabulary import ChangeState, SubmissionStatus

LEVELS = nightly_levels(45, steps={15: 0.85, 35: 1.15})


def _write_backfill(factory: sessionmaker[Session], settings: Settings, nights: range) -> list[int]:
    """Backfill ``nights`` and write their frontier values, as the worker does."""
    ids = store_bodies(
        factory,
        [
            {
                **synthetic_body(engine="sglang", night=night, level=LEVELS[night]),
                "backfill": True,
            }
            for night in nights
        ],
    )
    for submission_id in ids:
        run_process_submission(
            session_factory=factory, settings=settings, submission_id=submission_id
        )
    return ids


def _statuses(factory: sessionmaker[Session], ids: list[int]) -> set[SubmissionStatus]:
    with factory() as session:
        return set(
            session.execute(
                select(models.Submission.status).where(models.Submission.id.in_(ids))
            ).scalars()
        )


def _changed_nights(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return {
            timestamp.date().isoformat()
            for timestamp in session.execute(
                select(models.ChangePoint.run_timestamp).where(
                    models.ChangePoint.state == ChangeState.CONFIRMED
                )
            ).scalars()
        }


def _plan_in_background(factory: sessionmaker[Session]) -> tuple[threading.Thread, threading.Event]:
    """A planner in a thread of its own; the event is set once it has planned."""
    planned = threading.Event()

    def plan() -> None:
        plan_written_backfills(session_factory=factory)
        planned.set()

    planner = threading.Thread(target=plan)
    planner.start()
    return planner, planned


def test_a_backfill_written_while_a_batch_runs_waits_for_a_pass_that_sees_it(
    scratch_databases: ScratchDatabases,
) -> None:
    engine, factory, settings = scratch_tracker(scratch_databases, pool_size=4)
    early = _write_backfill(factory, settings, range(0, 30))
    assert plan_written_backfills(session_factory=factory) == 30
    with factory() as session:
        flagged = backfill_pass.tracks_awaiting_pass(session=session)
    assert flagged

    batch = factory()
    batch.begin()
    detect_on_tracks(  # a batch of the pass: histories read, flags cleared, not yet committed
        session=batch,
        track_ids=flagged,
        options=settings.detection_options,
        now=utc_now(),
        full=True,
        only_flagged=True,
    )
    late = _write_backfill(factory, settings, range(30, 45))  # does not wait for the batch

    planner, planned = _plan_in_background(factory)
    assert not planned.wait(0.5), "the planner waits for the batch holding the tracks"
    batch.commit()
    batch.close()
    assert planned.wait(10)
    planner.join()

    with transaction(factory) as session:
        backfill_pass.mark_backfills_processed(session=session, now=utc_now())
    assert _statuses(factory, early + late) == {SubmissionStatus.ACCEPTED}, (
        "the tracks were flagged again after the batch cleared them"
    )
    assert _changed_nights(factory) == {"2026-06-16"}

    with factory() as session:  # the batches the late planner handed out
        flagged_again = backfill_pass.tracks_awaiting_pass(session=session)
    analyse_backfill_batch(session_factory=factory, settings=settings, track_ids=flagged_again)
    assert _statuses(factory, early + late) == {SubmissionStatus.PROCESSED}
    found = confirmed_changes(factory)
    assert _changed_nights(factory) == {"2026-06-16", "2026-07-06"}

    reanalyse_every_track(factory, settings)
    assert confirmed_changes(factory) == found, "the passes found what a full re-analysis finds"
    engine.dispose()


_ADVISORY_LOCKS_BY_BACKEND = text(
    "SELECT pid, count(*) FILTER (WHERE granted), bool_or(NOT granted) FROM pg_locks"
    " WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " GROUP BY pid"
)


def test_planning_a_backfill_holds_a_bounded_number_of_track_locks_at_once(
    scratch_databases: ScratchDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Postgres keeps advisory locks in a shared table of fixed size (a backfill of a year of a
    fleet's history reaches tens of thousands of tracks, more than it holds): the planner waits
    for the analyses holding the backfill's tracks a batch at a time, never holding more locks
    than a batch of the pass — and still waits for each of them."""
    engine, factory, settings = scratch_tracker(scratch_databases, pool_size=4)
    early = _write_backfill(factory, settings, range(0, 30))
    time.sleep(backfill_pass.QUIET_MAX_SECONDS)
    run_backfill_pass(session_factory=factory, settings=settings)
    assert _statuses(factory, early) == {SubmissionStatus.PROCESSED}
    with factory() as session:
        track_ids = sorted(session.execute(select(models.Track.id)).scalars())
    locks_at_once = 2
    assert len(track_ids) > 2 * locks_at_once
    monkeypatch.setattr(backfill_pass, "BATCH_TRACKS", locks_at_once)
    late = _write_backfill(factory, settings, range(30, 45))

    analysis = factory()  # an analysis in flight on the last track
    analysis.begin()
    track_locks_for(analysis).lock(analysis, [track_ids[-1]])
    holder_pid = analysis.execute(text("SELECT pg_backend_pid()")).scalar_one()

    planner, planned = _plan_in_background(factory)
    held_while_waiting: int | None = None
    deadline = time.monotonic() + 30
    with factory() as observer:
        while held_while_waiting is None and time.monotonic() < deadline:
            for pid, granted, waiting in observer.execute(_ADVISORY_LOCKS_BY_BACKEND):
                if pid != holder_pid and waiting:
                    held_while_waiting = granted
            observer.rollback()
            time.sleep(0.02)
    assert held_while_waiting is not None, "the planner waits for the analysis on the last track"
    assert held_while_waiting < locks_at_once, (
        f"the planner held {held_while_waiting} track locks while waiting for one more"
    )
    assert not planned.is_set()
    analysis.commit()
    analysis.close()
    assert planned.wait(30)
    planner.join()

    with factory() as session:
        assert backfill_pass.tracks_awaiting_pass(session=session) == track_ids
    assert _statuses(factory, late) == {SubmissionStatus.ACCEPTED}
    analyse_backfill_batch(session_factory=factory, settings=settings, track_ids=track_ids)
    assert _statuses(factory, early + late) == {SubmissionStatus.PROCESSED}
    engine.dispose()


def test_an_unplanned_backfill_is_not_marked_processed_by_another_pass(
    scratch_databases: ScratchDatabases,
) -> None:
    engine, factory, settings = scratch_tracker(scratch_databases)
    unplanned = _write_backfill(factory, settings, range(0, 5))
    with transaction(factory) as session:
        assert backfill_pass.mark_backfills_processed(session=session, now=utc_now()) == 0
    assert _statuses(factory, unplanned) == {SubmissionStatus.ACCEPTED}
    engine.dispose()


def test_batches_lost_with_a_worker_are_handed_out_again_once_the_pass_stalls(
    scratch_databases: ScratchDatabases,
) -> None:
    engine, factory, settings = scratch_tracker(scratch_databases)
    backfill = _write_backfill(factory, settings, range(0, 20))
    time.sleep(backfill_pass.QUIET_MAX_SECONDS)
    planned = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    assert planned.batches  # ...and then the worker holding them dies
    again = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    assert again.batches == (), "a pass in progress is not handed out twice"
    stalled = plan_backfill_pass(session_factory=factory, stalled_after_s=0)
    assert stalled.batches == planned.batches
    for chunk in stalled.batches:
        analyse_backfill_batch(session_factory=factory, settings=settings, track_ids=chunk)
    assert _statuses(factory, backfill) == {SubmissionStatus.PROCESSED}
    engine.dispose()


def test_a_lost_batch_is_handed_out_again_even_while_nights_keep_arriving(
    scratch_databases: ScratchDatabases,
) -> None:
    """The stall check at chosen moments after the plan (no wall clock: the machine may be
    busy), then the planner handing the lost batch out again."""
    engine, factory, settings = scratch_tracker(scratch_databases)
    _write_backfill(factory, settings, range(0, 20))
    time.sleep(backfill_pass.QUIET_MAX_SECONDS)
    planned = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    assert planned.batches  # ...and then the worker holding them dies
    with factory() as session:
        planned_at = session.execute(
            select(func.max(models.Submission.detection_planned_at))
        ).scalar_one()
    stall_s = 0.5

    def stalled(*, at_s: float, night_analysed_at_s: float) -> bool:
        """Whether the pass looks stalled ``at_s`` after the plan, nightly detection having
        stamped the tracks it analysed ``night_analysed_at_s`` after it."""
        with transaction(factory) as session:
            analysed_at = planned_at + timedelta(seconds=night_analysed_at_s)
            session.execute(update(models.Track).values(analysed_at=analysed_at))
        with factory() as session:
            return backfill_pass.pass_stalled(
                session=session,
                now=planned_at + timedelta(seconds=at_s),
                stalled_after_s=stall_s,
            )

    assert not stalled(at_s=0.75, night_analysed_at_s=0.7), "analyses a moment ago: progress"
    assert stalled(at_s=0.75, night_analysed_at_s=0.1), "no analysis for a stall delay"
    give_up_s = stall_s * backfill_pass.STALLED_PASS_GIVE_UP_FACTOR
    assert stalled(at_s=give_up_s + 0.25, night_analysed_at_s=give_up_s + 0.2), (
        "waited too long: handed out again even though nights keep being analysed"
    )
    given_up = plan_backfill_pass(session_factory=factory, stalled_after_s=0)
    assert given_up.batches == planned.batches
    engine.dispose()


def _rewrite_times(factory: sessionmaker[Session], ids: list[int], gap_s: float) -> None:
    """Make the backfills look written at a steady rhythm, the last one just now."""
    now = utc_now()
    with transaction(factory) as session:
        for position, submission_id in enumerate(reversed(ids)):
            session.execute(
                update(models.Submission)
                .where(models.Submission.id == submission_id)
                .values(frontier_written_at=now - timedelta(seconds=gap_s * position))
            )


def _quiet_wait_s(factory: sessionmaker[Session]) -> float:
    with factory() as session:
        writes = backfill_pass.unplanned_backfill_writes(session=session)
    assert writes is not None
    return backfill_pass.quiet_seconds(writes)


def test_the_pass_waits_ten_gaps_of_the_streams_rhythm_within_bounds(
    scratch_databases: ScratchDatabases,
) -> None:
    """The wait is read off the written times; the planner waits what is left of it. Only the
    mechanism is asserted: on a busy machine time passes between the write and the plan."""
    engine, factory, settings = scratch_tracker(scratch_databases)
    single = _write_backfill(factory, settings, range(0, 1))
    _rewrite_times(factory, single, gap_s=0)
    assert _quiet_wait_s(factory) == backfill_pass.QUIET_MAX_SECONDS, "a rhythm of one is unknown"
    alone = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    assert alone.batches == ()
    assert alone.retry_in_s is not None
    assert 0 < alone.retry_in_s <= backfill_pass.QUIET_MAX_SECONDS

    stream = single + _write_backfill(factory, settings, range(1, 6))
    _rewrite_times(factory, stream, gap_s=0.15)
    assert _quiet_wait_s(factory) == pytest.approx(1.5), "ten gaps of 150 ms"
    streaming = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    assert streaming.batches == ()
    assert streaming.retry_in_s is not None
    assert 0 < streaming.retry_in_s <= 1.5

    _rewrite_times(factory, stream, gap_s=0.001)
    assert _quiet_wait_s(factory) == backfill_pass.QUIET_MIN_SECONDS, "ten gaps of 1 ms: at least"
    fast = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    if fast.retry_in_s is not None:  # else the quarter second had passed already
        assert 0 < fast.retry_in_s <= backfill_pass.QUIET_MIN_SECONDS
        time.sleep(fast.retry_in_s)
        fast = plan_backfill_pass(session_factory=factory, stalled_after_s=60)
    assert fast.batches, "planned once the quiet wait is over"
    engine.dispose()
