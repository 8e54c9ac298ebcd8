"""The one path by which a submission enters: validate, store, commit, then hand to the workers.

A boundary (it commits), used by the API route and by `tracker demo`, so the demo exercises the
same code as engine CI does.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tracker import ingest
from tracker.dispatch import Dispatcher
from tracker.jobs import utc_now


def accept_submission(
    *, session: Session, dispatcher: Dispatcher, body: bytes
) -> ingest.SubmissionReceipt:
    """Store ``body`` as a submission (or find its identical twin) and enqueue it after commit.

    Raises ``InvalidSubmission`` (nothing stored) or ``Conflict``. The returned submission's
    status is read after dispatch: in-process dispatch may already have processed it.
    """
    parsed = ingest.parse_submission(body)
    receipt = ingest.record_submission(session=session, submission=parsed, now=utc_now())
    session.commit()
    if receipt.created:
        dispatcher.submission_stored(receipt.submission.id)
    session.refresh(receipt.submission)
    return receipt
