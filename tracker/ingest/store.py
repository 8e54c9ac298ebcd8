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
from tracker.db.bulk import bulk_insert, bulk_insert_with_ids
from tracker.db.dialect import insert_ignoring_conflicts
from tracker.errors import Conflict, FieldError, InvalidSubmission
from tracker.ingest.body import SourceIn
from tracker.ingest.formats import ResultRow
from tracker.ingest.parse import ParsedSubmission
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
        raise Conflict(
            f"run_key {submission.run_key!r} was already used for a different body "
            f"(submission {stored.id}); send the same body, or a new run_key"
        )
    return SubmissionReceipt(submission=stored, created=False)


def _same_document(*, session: Session, source_run_id: int, document: Any) -> bool:
    """Whether the stored body is the same JSON as ``document`` once keys are sorted.

    Only reached when the bytes differ, so the canonical forms are computed on this rare path.
    """
    stored_text = session.execute(
        select(models.SourceRun.payload).where(models.SourceRun.id == source_run_id)
    ).scalar_one()
    stored_document = jsonio.loads(stored_text)
    return jsonio.canonical_bytes(stored_document) == jsonio.canonical_bytes(document)


def record_submission(
    *, session: Session, submission: ParsedSubmission, now: datetime
) -> SubmissionReceipt:
    """Store a validated submission, or find the identical one stored before (idempotency).

    Raises ``Conflict`` when the run key was used for a different body. Never commits.
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
        run_url=source.run_url,
        timestamp=source.timestamp,
        components=source.components,
        format=submission.format,
        payload=submission.body_text,
        purpose=submission.purpose,
        bisection_id=submission.bisect_id,
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
    sweep_ids = _insert_sweeps(
        session=session,
        source_run=source_run,
        source=source,
        rows_by_config_id={config_ids[d]: rows for d, rows in rows_by_digest.items()},
    )
    _insert_rows(
        session=session, sweep_ids=sweep_ids, rows_by_digest=rows_by_digest, config_ids=config_ids
    )
    stored = models.Submission(
        source_run_id=source_run.id,
        status=SubmissionStatus.ACCEPTED,
        results=len(submission.rows),
        series=len(rows_by_digest),
        backfill=submission.backfill,
        received_at=now,
    )
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


def sweep_components(source: SourceIn, rows: list[ResultRow]) -> dict[str, str]:
    """Component versions of one sweep: the source's, overridden by what its rows record."""
    values_by_name: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for name, value in row.components.items():
            values_by_name[name].add(value)
    components = dict(source.components)
    components.update({name: ", ".join(sorted(values)) for name, values in values_by_name.items()})
    return components


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
        ("config_id", "source_run_id", "timestamp", "components"),
        [
            (config_id, source_run.id, source_run.timestamp, sweep_components(source, rows))
            for config_id, rows in rows_by_config_id.items()
        ],
    )
    return dict(zip(config_ids, sweep_ids, strict=True))


RESULT_ROW_COLUMNS = (
    "sweep_id",
    "conc",
    "median_intvty",
    "tput_per_gpu",
    "output_tput_per_gpu",
    "input_tput_per_gpu",
    "median_ttft_s",
    "median_tpot_s",
    "median_e2el_s",
    "extra",
)


def result_row_values(sweep_id: int, row: ResultRow) -> tuple[Any, ...]:
    """A row's values in ``RESULT_ROW_COLUMNS`` order."""
    return (
        sweep_id,
        row.conc,
        row.median_intvty,
        row.tput_per_gpu,
        row.output_tput_per_gpu,
        row.input_tput_per_gpu,
        row.median_ttft_s,
        row.median_tpot_s,
        row.median_e2el_s,
        row.extra,
    )


def _insert_rows(
    *,
    session: Session,
    sweep_ids: dict[int, int],
    rows_by_digest: dict[str, list[ResultRow]],
    config_ids: dict[str, int],
) -> None:
    bulk_insert(
        session,
        models.ResultRow.__table__,  # type: ignore[arg-type]
        RESULT_ROW_COLUMNS,
        (
            result_row_values(sweep_ids[config_ids[digest]], row)
            for digest, rows in rows_by_digest.items()
            for row in rows
        ),
    )
