"""POST a submission; read its processing status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from tracker import models
from tracker.api import answers, schemas
from tracker.api.deps import (
    RowId,
    SchedulerDep,
    SessionDep,
    SettingsDep,
    read_access,
    require_scope,
    submission_body,
)
from tracker.pipeline.accept import accept_submission
from tracker.reads.submissions import SubmissionView, submission_view
from tracker.reads.verdicts import SubmissionVerdict, VerdictOptions, submission_verdict
from tracker.vocabulary import TokenScope

router = APIRouter(prefix="/api/v1", tags=["submissions"])

SUBMISSION_BODY_SCHEMA = {"$ref": "#/components/schemas/SubmissionIn"}


@router.post(
    "/submissions",
    status_code=202,
    response_model=schemas.SubmissionAccepted,
    summary="Submit one benchmark run's results",
    description=(
        "Stores the rows, then queues them for processing. The 202 is sent only after the "
        "data is committed. A repeat with the same `source.run_key` and the same body answers "
        "200 with the first answer (status as it is now); another body under that key is a 409. "
        "A rejected submission stores nothing. Needs a token with the `submit` scope."
    ),
    responses={
        200: {"model": schemas.SubmissionAccepted, "description": "Repeat of a stored submission."},
        **answers.answers(401, 403, 409, 413, 422, 503),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SUBMISSION_BODY_SCHEMA}},
        }
    },
)
def create_submission(
    body: Annotated[bytes, Depends(submission_body)],
    session: SessionDep,
    scheduler: SchedulerDep,
    settings: SettingsDep,
    _token: Annotated[models.ApiToken, Depends(require_scope(TokenScope.SUBMIT))],
) -> JSONResponse:
    receipt = accept_submission(
        session=session,
        scheduler=scheduler,
        body=body,
        tracked_branches=settings.tracked_branches,
    )
    view = submission_view(session=session, submission_id=receipt.submission.id)
    answer = schemas.as_json(schemas.SubmissionAccepted, view)
    return JSONResponse(status_code=202 if receipt.created else 200, content=answer)


@router.get(
    "/submissions/{submission_id}",
    response_model=schemas.SubmissionStatusView,
    summary="A submission's processing status",
    responses=answers.READ_ONE,
    dependencies=[Depends(read_access)],
)
def get_submission(submission_id: RowId, session: SessionDep) -> SubmissionView:
    return submission_view(session=session, submission_id=submission_id)


@router.get(
    "/submissions/{submission_id}/verdict",
    response_model=schemas.SubmissionVerdictView,
    summary="A candidate's verdict against the tracked branch",
    description=(
        "Each (series, metric, target interactivity) the candidate has a value for, against the "
        "tracked branch's level on that track with the track's noise; repeats of one pull "
        "request and commit are combined. docs/api.md#verdicts."
    ),
    responses={
        **answers.READ_ONE,
        404: {**answers.READ_ONE[404], "description": "No such submission, or not a candidate."},
        409: {
            **answers.answers(409)[409],
            "description": "The candidate is not processed yet (or failed).",
        },
    },
    dependencies=[Depends(read_access)],
)
def get_verdict(
    submission_id: RowId, session: SessionDep, settings: SettingsDep
) -> SubmissionVerdict:
    return submission_verdict(
        session=session,
        submission_id=submission_id,
        options=VerdictOptions.from_settings(settings),
    )
