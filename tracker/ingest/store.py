"""Storing a validated submission: its source run, configs, sweeps and rows, idempotently."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import jsonio, models
from tracker.configs.identity import Config
from tracker.db.bulk import bulk_insert_with_ids
from tracker.db.dialect import insert_ignoring_conflicts
from tracker.errors import Conflict, FieldError, InvalidSubmission
from tracker.ingest.assembly import join_assembly
from tracker.ingest.body import SourceIn
from tracker.ingest.formats import ResultRow
from tracker.ingest.parse import ParsedSubmission
from tracker.ingest.written_rows import SWEEP_COLUMNS, insert_result_rows, sweep_components
from tracker.vocabulary import SubmissionStatus


@dataclass(frozen=True)
class SubmissionReceipt:
    submission: models.Submission
    created: bool


def find_submission(*, session: Session, run_key: str) -> tuple[models.Submission, str] | None:
    """The submission stored under ``run_key`` and its body hash, if any."""
    found = session.execute(
        select(models.Submission, models.SourceRun.body_sha256)
        .join(models.SourceRun, models.Submission.source_run_id == models.SourceRun.id)
        .where(models.SourceRun.run_key == run_key)
    ).first()
    return None if found is None else (found[0], found[1])


def _existing_receipt(
    *, session: Session, submission: ParsedSubmission
) -> SubmissionReceipt | None:
    found = find_submission(session=session, run_key=submission.run_key)
    if found is None:
        return None
    stored, stored_sha256 = found
    if stored_sha256 != submission.body_sha256 and not _same_document(
        session=session, source_run_id=stored.source_run_id, document=submission.document
    ):
        hint = (
            "; posts of one run made per job share a sweep_key, and each has its own run_key "
            "(or none)"
            if submission.source.sweep_key is not None
            else "; a run posted one job at a time gives its posts a shared sweep_key instead"
        )
        raise Conflict(
            f"run_key {submission.run_key!r} was already used for a different body "
            f"(submission {stored.id}); send the same body, or a new run_key{hint}"
        )
    return SubmissionReceipt(submission=stored, created=False)


def _same_document(*, session: Session, source_run_id: int, document: Any) -> bool:
    """Whether the stored body is the same JSON as ``document`` once keys are sorted.

    Only reached when the bytes differ, so the canonical forms are computed on this rare path.
    A body whose payload retention deleted can only be recognised by its bytes.
    """
    stored_text = session.execute(
        select(models.SourceRun.payload).where(models.SourceRun.id == source_run_id)
    ).scalar_one()
    if stored_text is None:
        return False
    stored_document = jsonio.loads(stored_text)
    return jsonio.canonical_bytes(stored_document) == jsonio.canonical_bytes(document)


def record_submission(
    *, session: Session, submission: ParsedSubmission, now: datetime
) -> SubmissionReceipt:
    """Store a validated submission, or find the identical one stored before (idempotency).

    A post under a sweep key joins its rows to the sweeps of that key (`tracker.ingest.assembly`).
    Raises ``Conflict`` when the run key was used for a different body, or the post contradicts
    its sweep key (another engine or commit, a job repeated with other values). Never commits.
    """
    existing = _existing_receipt(session=session, submission=submission)
    if existing is not None:
        return existing
    if (
        submission.bisect_id is not None
        and session.get(models.Bisection, submission.bisect_id) is None
    ):
        raise InvalidSubmission(
            [
                FieldError(
                    loc=("bisect_id",), msg=f"bisect_id {submission.bisect_id} names no bisection"
                )
            ]
        )
    source = submission.source
    source_run = models.SourceRun(
        run_key=submission.run_key,
        body_sha256=submission.body_sha256,
        engine=submission.engine,
        engine_version=source.engine_version,
        image=source.image,
        commit=source.commit,
        repo=source.repo,
        branch=source.branch,
        pull_request=source.pull_request,
        base_commit=source.base_commit,
        run_url=source.run_url,
        timestamp=source.timestamp,
        components=source.components,
        format=submission.format,
        payload=submission.body_text,
        purpose=submission.purpose,
        bisection_id=submission.bisect_id,
        sweep_key=source.sweep_key,
    )
    try:
        with session.begin_nested():
            session.add(source_run)
            session.flush()
    except IntegrityError:
        # A concurrent request stored the same run key between our look-up and our insert.
        existing = _existing_receipt(session=session, submission=submission)
        if existing is None:
            raise
        return existing

    rows_by_digest = _rows_by_config_digest(submission.rows)
    config_ids = ensure_configs(
        session=session, configs_by_digest={d: rows[0].config for d, rows in rows_by_digest.items()}
    )
    rows_by_config_id = {config_ids[d]: rows for d, rows in rows_by_digest.items()}
    notes = submission.notes
    stored = models.Submission(
        source_run_id=source_run.id,
        status=SubmissionStatus.ACCEPTED,
        results=len(submission.rows),
        series=len(rows_by_digest),
        backfill=submission.backfill,
        received_at=now,
        skipped=[{"index": row.index, "reason": row.reason} for row in notes.skipped] or None,
        dropped=dict(notes.dropped) or None,
        warnings=[
            {"loc": list(warning.loc), "msg": warning.msg, "type": warning.type}
            for warning in notes.warnings
        ]
        or None,
    )
    if source.sweep_key is None:
        sweep_ids = _insert_sweeps(
            session=session,
            source_run=source_run,
            source=source,
            rows_by_config_id=rows_by_config_id,
        )
        insert_result_rows(
            session=session,
            rows=(
                (sweep_ids[config_id], row)
                for config_id, rows in rows_by_config_id.items()
                for row in rows
            ),
        )
    else:
        joined = join_assembly(
            session=session,
            source_run=source_run,
            source=source,
            final=submission.final,
            rows_by_config_id=rows_by_config_id,
            now=now,
        )
        stored.assembly_id = joined.assembly_id
        stored.results = joined.stored_rows
        stored.repeated = joined.repeated_rows
        if joined.nothing_to_process:  # a job posted again after its run was processed
            stored.status = SubmissionStatus.PROCESSED
            stored.frontier_written_at = stored.processed_at = now
    session.add(stored)
    session.flush()
    return SubmissionReceipt(submission=stored, created=True)


def _rows_by_config_digest(rows: list[ResultRow]) -> dict[str, list[ResultRow]]:
    # Group by the (hashable) config first: hashing the key once per config, not once per row.
    rows_by_config: dict[Config, list[ResultRow]] = defaultdict(list)
    for row in rows:
        rows_by_config[row.config].append(row)
    rows_by_digest: dict[str, list[ResultRow]] = defaultdict(list)
    for config, config_rows in rows_by_config.items():
        rows_by_digest[config.key_digest()].extend(config_rows)
    return rows_by_digest


def ensure_configs(*, session: Session, configs_by_digest: dict[str, Config]) -> dict[str, int]:
    """Config ids by key digest, inserting the configs not seen before (safe under concurrency)."""
    table = models.Config.__table__
    digests = list(configs_by_digest)
    known = _config_ids(session, digests)
    missing = [digest for digest in digests if digest not in known]
    if missing:
        insert_statement = insert_ignoring_conflicts(session, table, ["key_sha256"])
        session.execute(
            insert_statement,
            [{"key_sha256": d, **configs_by_digest[d].as_dict()} for d in missing],
        )
        known.update(_config_ids(session, missing))
    return known


def _config_ids(session: Session, digests: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(models.Config.key_sha256, models.Config.id).where(
            models.Config.key_sha256.in_(digests)
        )
    )
    return dict(rows.all())


def _insert_sweeps(
    *,
    session: Session,
    source_run: models.SourceRun,
    source: SourceIn,
    rows_by_config_id: dict[int, list[ResultRow]],
) -> dict[int, int]:
    """Sweep ids by config id, one sweep per config in this source run."""
    config_ids = list(rows_by_config_id)
    sweep_ids = bulk_insert_with_ids(
        session,
        models.Sweep.__table__,  # type: ignore[arg-type]
        SWEEP_COLUMNS,
        [
            (
                config_id,
                source_run.id,
                None,
                source_run.timestamp,
                sweep_components(source.components, rows),
            )
            for config_id, rows in rows_by_config_id.items()
        ],
    )
    return dict(zip(config_ids, sweep_ids, strict=True))
