"""Payload retention: the raw bodies of processed submissions deleted once they are old enough;
what was read from them (rows, sweeps, values) stays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.vocabulary import SubmissionStatus


def delete_old_payloads(*, session: Session, received_before: datetime, limit: int) -> int:
    """Delete the payloads of at most ``limit`` runs whose submission arrived before
    ``received_before`` and is no longer waiting to be processed; how many were deleted."""
    batch = (
        select(models.SourceRun.id)
        .join(models.Submission, models.Submission.source_run_id == models.SourceRun.id)
        .where(
            models.SourceRun.payload.is_not(None),
            models.Submission.received_at < received_before,
            models.Submission.status != SubmissionStatus.ACCEPTED,
        )
        .limit(limit)
    )
    result = session.execute(
        update(models.SourceRun)
        .where(models.SourceRun.id.in_(batch.scalar_subquery()))
        .values(payload=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
