"""Per-track locks: concurrent workers on overlapping tracks neither race nor deadlock."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select
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
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker, transaction
from tracker.db.locks import ProcessTrackLocks
from tracker.pipeline.jobs import run_process_submission
from tracker.vocabulary import SubmissionStatus


def _store_nights(factory: sessionmaker[Session], hardware: list[str], nights: int) -> list[int]:
    levels = nightly_levels(nights, steps={nights // 2: 0.85})
    return store_bodies(
        factory,
        [
            synthetic_body(engine="sglang", night=night, level=levels[night], hardware=gpu)
            for night in range(nights)
            for gpu in hardware
        ],
    )


def test_concurrent_processing_on_shared_tracks_matches_a_full_reanalysis(
    scratch_databases: ScratchDatabases,
) -> None:
    engine, factory, settings = scratch_tracker(scratch_databases, pool_size=8)
    # Nights arrive out of order and in parallel: every track is touched by many workers.
    submission_ids = _store_nights(factory, ["mi355x", "b200"], nights=24)
    random.Random(5).shuffle(submission_ids)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(
            pool.map(
                lambda sid: run_process_submission(
                    session_factory=factory, settings=settings, submission_id=sid
                ),
                submission_ids,
            )
        )
    with factory() as session:
        statuses = set(session.execute(select(models.Submission.status)).scalars())
    assert statuses == {SubmissionStatus.PROCESSED}
    concurrent = confirmed_changes(factory)
    assert concurrent, "the step should be found"

    reanalyse_every_track(factory, settings)
    assert confirmed_changes(factory) == concurrent
    engine.dispose()


def test_process_local_locks_wait_for_the_holder_to_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    migrations.upgrade(url)
    factory = make_sessionmaker(create_db_engine(url))
    locks = ProcessTrackLocks()
    held, second_got_it, release_first = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with transaction(factory) as session:
            locks.lock(session, [3, 1, 2])
            held.set()
            release_first.wait(5)

    def second() -> None:
        held.wait(5)
        with transaction(factory) as session:
            locks.lock(session, [2, 7])
            second_got_it.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert held.wait(5)
    assert not second_got_it.wait(0.3), "track 2 is held by the first transaction"
    release_first.set()
    assert second_got_it.wait(5), "the commit released track 2"
    for thread in threads:
        thread.join(5)
