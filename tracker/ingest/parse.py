"""Validating a submission body whole: one error naming every bad field, or rows ready to store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tracker import jsonio
from tracker.configs.normalise import framework_runs_engine, normalise_framework
from tracker.errors import FieldError, InvalidSubmission
from tracker.ingest.body import SourceIn, SubmissionIn
from tracker.ingest.formats import ParseNotes, ResultRow, parse_results
from tracker.settings import tracked_branch
from tracker.storable import TYPE as UNSTORABLE_TYPE
from tracker.storable import unstorable_texts
from tracker.vocabulary import SubmissionPurpose


@dataclass(frozen=True)
class ParsedSubmission:
    """A submission that passed validation, ready to store."""

    source: SourceIn
    engine: str
    format: str
    rows: list[ResultRow]
    run_key: str
    body_sha256: str
    body_text: str
    document: Any
    backfill: bool = False
    purpose: SubmissionPurpose = SubmissionPurpose.HISTORY
    bisect_id: int | None = None
    final: bool = False
    notes: ParseNotes = field(default_factory=ParseNotes)
    """Rows skipped, per-request lists dropped, warnings: for the answer."""


def canonical_sha256(document: Any) -> str:
    """Hash of a JSON document with its keys sorted: the run key of a submission without one."""
    return hashlib.sha256(jsonio.canonical_bytes(document)).hexdigest()


def _pydantic_errors(error: ValidationError) -> list[FieldError]:
    return [
        FieldError(loc=tuple(detail["loc"]), msg=detail["msg"], type=detail["type"])
        for detail in error.errors(include_url=False)
    ]


def parse_submission(
    body: bytes, tracked_branches: Mapping[str, str] | None = None
) -> ParsedSubmission:
    """Validate a body completely; raise one `InvalidSubmission` naming every bad field.

    A run of a pull request, or of a branch other than its engine's tracked branch
    (`tracked_branches`, by engine; `main` for an engine not named), is a candidate."""
    try:
        body_text = body.decode("utf-8")
        document = jsonio.loads(body)
    except UnicodeDecodeError as error:
        raise InvalidSubmission(
            [FieldError(loc=(), msg=f"body is not UTF-8 text: {error}", type="json_invalid")]
        ) from error
    except json.JSONDecodeError as error:
        raise InvalidSubmission(
            [FieldError(loc=(), msg=f"body is not valid JSON: {error}", type="json_invalid")]
        ) from error
    unstorable = [
        FieldError(loc=loc, msg=reason, type=UNSTORABLE_TYPE)
        for loc, reason in unstorable_texts(document)
    ]
    if unstorable:
        raise InvalidSubmission(unstorable)
    try:
        envelope = SubmissionIn.model_validate(document)
    except ValidationError as error:
        errors = _pydantic_errors(error)
        errors.extend(_row_errors_beside(document, errors))
        raise InvalidSubmission(errors) from error
    envelope_errors = _assembly_option_errors(envelope)
    try:
        parsed = parse_results(
            format=envelope.format, results=envelope.results, config=envelope.config
        )
    except InvalidSubmission as error:
        raise InvalidSubmission(envelope_errors + error.errors) from error
    engine = normalise_framework(envelope.source.engine)
    envelope_errors.extend(_engine_errors(engine, parsed.rows))
    purpose = envelope.purpose
    tracked = tracked_branch(tracked_branches, engine)
    if purpose is SubmissionPurpose.HISTORY and is_candidate(envelope.source, tracked):
        purpose = SubmissionPurpose.CANDIDATE
        envelope_errors.extend(_candidate_errors(envelope, tracked))
    elif envelope.source.base_commit is not None:
        message = (
            f"base_commit is for a candidate: a run of a pull request (source.pull_request) or "
            f"of a branch other than {tracked!r}, the tracked branch of {engine!r}"
        )
        envelope_errors.append(FieldError(("source", "base_commit"), message, "not_candidate"))
    if envelope_errors:
        raise InvalidSubmission(envelope_errors)
    return ParsedSubmission(
        source=envelope.source,
        engine=engine,
        format=envelope.format,
        rows=parsed.rows,
        run_key=envelope.source.run_key or f"sha256:{canonical_sha256(document)}",
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_text=body_text,
        document=document,
        backfill=envelope.backfill,
        purpose=purpose,
        bisect_id=envelope.bisect_id,
        final=envelope.final,
        notes=parsed.notes,
    )


def _assembly_option_errors(envelope: SubmissionIn) -> list[FieldError]:
    errors = []
    if envelope.final and envelope.source.sweep_key is None:
        message = (
            "final completes the sweeps of a source.sweep_key: give the run's sweep_key "
            "(a post without one is complete already)"
        )
        errors.append(FieldError(("final",), message, "missing"))
    if envelope.backfill and envelope.source.sweep_key is not None:
        message = (
            "a backfill cannot be assembled from posts: send each run of the history in one "
            "post, without sweep_key"
        )
        errors.append(FieldError(("source", "sweep_key"), message))
    return errors


def is_candidate(source: SourceIn, tracked_branch: str) -> bool:
    """A pull request's run, or one of another branch than the tracked one (a run without a
    branch is on the tracked branch)."""
    return source.pull_request is not None or (
        source.branch is not None and source.branch != tracked_branch
    )


def _candidate_errors(envelope: SubmissionIn, tracked_branch: str) -> list[FieldError]:
    why = (
        "source.pull_request is set"
        if envelope.source.pull_request is not None
        else f"source.branch {envelope.source.branch!r} is not the tracked branch "
        f"{tracked_branch!r}"
    )
    errors = []
    if envelope.backfill:
        message = f"a candidate run ({why}) is judged alone, never part of a backfill"
        errors.append(FieldError(("backfill",), message, "candidate"))
    if envelope.source.sweep_key is not None:
        message = (
            f"a candidate run ({why}) is posted whole, in one post without sweep_key "
            "(tracker submit takes every file of the run at once)"
        )
        errors.append(FieldError(("source", "sweep_key"), message, "candidate"))
    if not envelope.source.commit:
        message = (
            f"a candidate run ({why}) gives its commit: its repeats are combined by pull "
            "request and commit"
        )
        errors.append(FieldError(("source", "commit"), message, "missing"))
    return errors


def _engine_errors(engine: str, rows: list[ResultRow]) -> list[FieldError]:
    """A 422 when the engine contradicts every row's framework: alerts group by the engine's
    commits, so a mistyped `--engine` would file the results under another engine's CI."""
    frameworks = sorted({config.framework for config in {row.config for row in rows}})
    if any(framework_runs_engine(framework, engine) for framework in frameworks):
        return []
    message = (
        f"engine {engine!r} runs none of the rows' frameworks ({', '.join(frameworks)}): the "
        "engine is the one whose CI ran and whose commit is tested; give the framework the "
        "rows were measured with (or a part of it, e.g. sglang for dynamo-sglang)"
    )
    return [FieldError(("source", "engine"), message, "engine_mismatch")]


def _row_errors_beside(document: Any, envelope_errors: list[FieldError]) -> list[FieldError]:
    """Row errors too, when the envelope failed elsewhere, so one answer names every bad field."""
    if not isinstance(document, dict) or any(
        error.loc[:1] in {("results",), ("format",), ("config",)} for error in envelope_errors
    ):
        return []
    try:
        parse_results(
            format=document.get("format", "inferencex"),
            results=document.get("results", []),
            config=document.get("config"),
        )
    except InvalidSubmission as error:
        return error.errors
    return []
