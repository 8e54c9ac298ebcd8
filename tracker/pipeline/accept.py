"""The one path by which a submission enters: validate, store, commit, then hand to the pipeline.

A boundary (it commits), used by the API route and by `tracker demo`, so the demo exercises the
same code as engine CI does.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from tracker.clock import utc_now
from tracker.ingest.parse import parse_submission
from tracker.ingest.store import SubmissionReceipt, record_submission
from tracker.pipeline.stages import Scheduler, Stage


def accept_submission(
    *,
    session: Session,
    scheduler: Scheduler,
    body: bytes,
    tracked_branches: Mapping[str, str] | None = None,
) -> SubmissionReceipt:
    """Store ``body`` as a submission (or find its identical twin) and schedule its processing
    after the commit. A run of a pull request or of a branch other than its engine's tracked
    one (`tracked_branches`) is stored as a candidate.

    Raises ``InvalidSubmission`` (nothing stored) or ``Conflict``. The returned submission's
    status is read after scheduling: the in-process scheduler may already have processed it.
    """
    parsed = parse_submission(body, tracked_branches)
    receipt = record_submission(session=session, submission=parsed, now=utc_now())
    session.commit()
    if receipt.created:
        scheduler.schedule(Stage.PROCESS_SUBMISSION, receipt.submission.id)
    session.refresh(receipt.submission)
    return receipt
