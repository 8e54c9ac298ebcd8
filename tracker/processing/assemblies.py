"""Processing a run posted per job, once complete (docs/data-flow.md#sweeps-assembled-from-jobs):
an assembly is due when a post said `final`, or when no post has come for the assembly window;
its sweeps are then processed together, once, and its posts marked processed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.processing.change_points import DetectionOutcome
from tracker.processing.latest_sweeps import retreat_latest_sweeps
from tracker.processing.sweeps import ProcessingOptions, process_sweeps
from tracker.processing.tracks import TrackKey
from tracker.vocabulary import SubmissionStatus


def _due(now: datetime, window_s: float) -> ColumnElement[bool]:
    """Open, and complete: a post said final, or none has come for the window."""
    return and_(
        models.SweepAssembly.assembled_at.is_(None),
        or_(
            models.SweepAssembly.final_at.is_not(None),
            models.SweepAssembly.last_post_at <= now - timedelta(seconds=window_s),
        ),
    )


def due_assemblies(*, session: Session, now: datetime, window_s: float) -> list[int]:
    """Open assemblies that are complete now, in id order."""
    return list(
        session.execute(
            select(models.SweepAssembly.id)
            .where(_due(now, window_s))
            .order_by(models.SweepAssembly.id)
        ).scalars()
    )


def assemble(
    *,
    session: Session,
    assembly_id: int,
    options: ProcessingOptions,
    now: datetime,
    window_s: float,
) -> DetectionOutcome | None:
    """Process a due assembly's sweeps and mark its posts processed; None when it is not due
    any more, or another worker holds it (its row is locked, skipping a locked one). An
    assembly opened again by late rows has its frontier values rewritten and its tracks
    analysed from scratch. Never commits."""
    assembly = session.execute(
        select(models.SweepAssembly)
        .where(models.SweepAssembly.id == assembly_id, _due(now, window_s))
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if assembly is None:
        return None
    sweeps = session.execute(
        select(models.Sweep.id, models.Sweep.config_id, models.Sweep.timestamp)
        .where(models.Sweep.assembly_id == assembly_id)
        .order_by(models.Sweep.id)
    ).all()
    sweep_ids = [sweep.id for sweep in sweeps]
    earlier_tracks = _forget_earlier_processing(session, sweep_ids)
    detection = process_sweeps(
        session=session,
        sweeps=sweeps,
        options=options,
        now=now,
        detect=True,
        full_detection=bool(earlier_tracks),
        also_tracks=earlier_tracks,
    )
    if earlier_tracks:
        retreat_latest_sweeps(session=session, config_ids=[sweep.config_id for sweep in sweeps])
    assembly.assembled_at = now
    session.execute(
        update(models.Submission)
        .where(
            models.Submission.assembly_id == assembly_id,
            models.Submission.status == SubmissionStatus.ACCEPTED,
        )
        .values(status=SubmissionStatus.PROCESSED, processed_at=now, frontier_written_at=now)
    )
    session.flush()
    return detection


def _forget_earlier_processing(session: Session, sweep_ids: list[int]) -> set[TrackKey]:
    """For an assembly processed before (late rows opened it again): its frontier values and
    sweep notes are removed, and the tracks they were on returned, to be analysed again."""
    earlier = {
        (config_id, metric, interactivity)
        for config_id, metric, interactivity in session.execute(
            select(
                models.FrontierValue.config_id,
                models.FrontierValue.metric,
                models.FrontierValue.interactivity,
            )
            .where(models.FrontierValue.sweep_id.in_(sweep_ids))
            .distinct()
        )
    }
    if earlier:
        session.execute(
            delete(models.FrontierValue).where(models.FrontierValue.sweep_id.in_(sweep_ids))
        )
    session.execute(
        update(models.Sweep)
        .where(models.Sweep.id.in_(sweep_ids))
        .values(degraded=None, no_values_reason=None)
    )
    return earlier


def mark_assembly_failed(*, session: Session, assembly_id: int, error: str, now: datetime) -> None:
    """Processing the assembly failed for good: its waiting posts say why, and it is not tried
    again until a new post opens it."""
    session.execute(
        update(models.SweepAssembly)
        .where(models.SweepAssembly.id == assembly_id)
        .values(assembled_at=now)
    )
    session.execute(
        update(models.Submission)
        .where(
            models.Submission.assembly_id == assembly_id,
            models.Submission.status == SubmissionStatus.ACCEPTED,
        )
        .values(status=SubmissionStatus.FAILED, error=error[:2000])
    )
