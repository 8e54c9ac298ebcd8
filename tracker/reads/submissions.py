"""A submission as its answer and its status describe it (docs/formats.md#the-answer): counts,
rows skipped, lists dropped, warnings and, once processed, the sweeps failed requests degraded
or that got no frontier value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.errors import NotFound
from tracker.reads.series import SweepWithoutValues
from tracker.vocabulary import SubmissionStatus


@dataclass(frozen=True)
class SkippedRow:
    index: int
    reason: str


@dataclass(frozen=True)
class SubmissionWarning:
    loc: list[str | int]
    msg: str
    type: str


@dataclass(frozen=True)
class DegradedSweep:
    """A sweep of the submission with points left out of its fronts for failed requests."""

    series_id: int
    sweep_id: int
    points: list[dict[str, Any]]
    withheld: dict[str, list[str]]


@dataclass(frozen=True)
class SubmissionView:
    id: int
    status: SubmissionStatus
    error: str | None
    results: int
    series: int
    repeated: int
    status_url: str
    sweep_key: str | None
    skipped: list[SkippedRow]
    dropped: dict[str, int]
    warnings: list[SubmissionWarning]
    degraded: list[DegradedSweep]
    without_values: list[SweepWithoutValues]
    received_at: datetime
    processed_at: datetime | None


def submission_view(*, session: Session, submission_id: int) -> SubmissionView:
    """The submission's answer as it is now; NotFound for an unknown id."""
    found = session.execute(
        select(models.Submission, models.SourceRun.sweep_key)
        .join(models.SourceRun, models.SourceRun.id == models.Submission.source_run_id)
        .where(models.Submission.id == submission_id)
    ).first()
    if found is None:
        raise NotFound(f"submission {submission_id} does not exist")
    submission, sweep_key = found
    degraded, without_values = _sweep_notes(session, submission)
    return SubmissionView(
        id=submission.id,
        status=submission.status,
        error=submission.error,
        results=submission.results,
        series=submission.series,
        repeated=submission.repeated,
        status_url=f"/api/v1/submissions/{submission.id}",
        sweep_key=sweep_key,
        skipped=[SkippedRow(**row) for row in submission.skipped or []],
        dropped=dict(submission.dropped or {}),
        warnings=[SubmissionWarning(**warning) for warning in submission.warnings or []],
        degraded=degraded,
        without_values=without_values,
        received_at=submission.received_at,
        processed_at=submission.processed_at,
    )


def _sweep_notes(
    session: Session, submission: models.Submission
) -> tuple[list[DegradedSweep], list[SweepWithoutValues]]:
    of_submission = (
        models.Sweep.source_run_id == submission.source_run_id
        if submission.assembly_id is None
        else models.Sweep.assembly_id == submission.assembly_id
    )
    rows = session.execute(
        select(
            models.Sweep.id,
            models.Sweep.config_id,
            models.Sweep.degraded,
            models.Sweep.no_values_reason,
            models.Sweep.timestamp,
            models.SourceRun.commit,
        )
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(
            of_submission,
            or_(models.Sweep.degraded.is_not(None), models.Sweep.no_values_reason.is_not(None)),
        )
        .order_by(models.Sweep.id)
    ).all()
    degraded = [
        DegradedSweep(
            series_id=config_id,
            sweep_id=sweep_id,
            points=notes["points"],
            withheld=notes["withheld"],
        )
        for sweep_id, config_id, notes, _, _, _ in rows
        if notes is not None
    ]
    without_values = [
        SweepWithoutValues(
            series_id=config_id,
            sweep_id=sweep_id,
            timestamp=timestamp,
            commit=commit,
            reason=reason,
        )
        for sweep_id, config_id, _, reason, timestamp, commit in rows
        if reason is not None
    ]
    return degraded, without_values
