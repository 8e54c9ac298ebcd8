"""Submissions stored the way the API stores them, with the test deciding when work runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import ScratchDatabases
from tracker import jsonio, models
from tracker.clock import utc_now
from tracker.db.engine import create_db_engine, make_sessionmaker, transaction
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.stages import Stage, StageArgument
from tracker.processing.change_points import detect_on_tracks
from tracker.settings import Settings
from tracker.vocabulary import ChangeState


def scratch_tracker(
    scratch_databases: ScratchDatabases, *, pool_size: int = 5
) -> tuple[Engine, sessionmaker[Session], Settings]:
    """A migrated scratch Postgres database with real connections (no shared transaction)."""
    url = scratch_databases.create()
    engine = create_db_engine(url, pool_size=pool_size)
    return engine, make_sessionmaker(engine), Settings(database_url=url)


class Collect:
    """A scheduler that only remembers the submissions to process: the test decides when and how
    work runs."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def schedule(self, stage: Stage, *arguments: StageArgument, delay_s: float = 0.0) -> None:
        assert stage is Stage.PROCESS_SUBMISSION
        (submission_id,) = arguments
        assert isinstance(submission_id, int)
        self.ids.append(submission_id)


def store_bodies(factory: sessionmaker[Session], bodies: list[dict[str, Any]]) -> list[int]:
    """Accept each body as the API does (one transaction each); the submission ids."""
    collected = Collect()
    for body in bodies:
        with factory() as session:
            accept_submission(
                session=session, scheduler=collected, body=jsonio.dumps(body).encode()
            )
    return collected.ids


def reanalyse_every_track(factory: sessionmaker[Session], settings: Settings) -> None:
    """Analyse every track from scratch, as if its whole history had arrived at once."""
    with factory() as session:
        track_ids = list(session.execute(select(models.Track.id)).scalars())
    with transaction(factory) as session:
        detect_on_tracks(
            session=session,
            track_ids=track_ids,
            options=settings.detection_options,
            now=utc_now(),
            full=True,
        )


def confirmed_changes(factory: sessionmaker[Session]) -> list[tuple[object, ...]]:
    """(track, first changed sweep, relative change) of every confirmed change point."""
    with factory() as session:
        return sorted(
            session.execute(
                select(
                    models.ChangePoint.track_id,
                    models.ChangePoint.sweep_id,
                    models.ChangePoint.relative_change,
                ).where(models.ChangePoint.state == ChangeState.CONFIRMED)
            ).all()
        )
