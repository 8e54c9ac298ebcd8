"""Validating a submission body whole: one error naming every bad field, or rows ready to store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tracker import jsonio
from tracker.configs.normalise import normalise_framework
from tracker.errors import FieldError, InvalidSubmission
from tracker.ingest.body import SourceIn, SubmissionIn
from tracker.ingest.formats import ResultRow, parse_results
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


def canonical_sha256(document: Any) -> str:
    """Hash of a JSON document with its keys sorted: the run key of a submission without one."""
    return hashlib.sha256(jsonio.canonical_bytes(document)).hexdigest()


def _pydantic_errors(error: ValidationError) -> list[FieldError]:
    return [
        FieldError(loc=tuple(detail["loc"]), msg=detail["msg"], type=detail["type"])
        for detail in error.errors(include_url=False)
    ]


def parse_submission(body: bytes) -> ParsedSubmission:
    """Validate a body completely; raise one `InvalidSubmission` naming every bad field."""
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
    try:
        envelope = SubmissionIn.model_validate(document)
    except ValidationError as error:
        errors = _pydantic_errors(error)
        errors.extend(_row_errors_beside(document, errors))
        raise InvalidSubmission(errors) from error
    rows = parse_results(format=envelope.format, results=envelope.results, config=envelope.config)
    return ParsedSubmission(
        source=envelope.source,
        engine=normalise_framework(envelope.source.engine),
        format=envelope.format,
        rows=rows,
        run_key=envelope.source.run_key or f"sha256:{canonical_sha256(document)}",
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_text=body_text,
        document=document,
        backfill=envelope.backfill,
        purpose=envelope.purpose,
        bisect_id=envelope.bisect_id,
    )


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
