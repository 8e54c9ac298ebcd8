"""Posts of one CI run made per job (docs/data-flow.md#sweeps-assembled-from-jobs): under a
shared sweep key, each job's rows of one config join one sweep.

The sweep key's assembly row is locked for the whole post, so the jobs of one run are stored
one after another: a job repeated with the same rows adds nothing, a job repeated with other
values is a 409 naming it, and rows arriving after the assembly was processed open it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.dialect import insert_ignoring_conflicts
from tracker.errors import Conflict
from tracker.ingest.body import SourceIn
from tracker.ingest.formats import ResultRow
from tracker.ingest.formats.values import describe
from tracker.ingest.written_rows import (
    RESULT_ROW_COLUMNS,
    SWEEP_COLUMNS,
    insert_result_rows,
    result_row_values,
    sweep_components,
)

_JOINED_VALUES = ", "
_SHOWN_DIFFERENCES = 3


@dataclass(frozen=True)
class JoinedAssembly:
    assembly_id: int
    stored_rows: int
    repeated_rows: int
    """Rows an earlier post of the sweep key stored already, with the same values."""
    nothing_to_process: bool
    """The run was processed already and the post added nothing to it."""


def join_assembly(
    *,
    session: Session,
    source_run: models.SourceRun,
    source: SourceIn,
    final: bool,
    rows_by_config_id: Mapping[int, Sequence[ResultRow]],
    now: datetime,
) -> JoinedAssembly:
    """Join a post's rows to the sweeps of its sweep key, opening the assembly (and sweeps) it
    is the first to name. Raises ``Conflict`` for another engine or commit than the sweep key
    was opened with, or a row whose config and conc the key holds with other values. Never
    commits."""
    assert source.sweep_key is not None
    assembly = _locked_assembly(session, source_run, source.sweep_key, now)
    sweeps = _sweeps_of(session, assembly.id, list(rows_by_config_id))
    stored = _stored_rows(session, sweeps, rows_by_config_id)
    new_rows: list[tuple[int, ResultRow]] = []
    repeated = 0
    missing_sweeps: dict[int, list[ResultRow]] = {}
    for config_id, rows in rows_by_config_id.items():
        sweep = sweeps.get(config_id)
        if sweep is None:
            missing_sweeps[config_id] = list(rows)
            continue
        joining = []
        for row in rows:
            earlier = stored.get((sweep.id, row.conc))
            if earlier is None:
                joining.append(row)
            elif earlier == result_row_values(sweep.id, row):
                repeated += 1
            else:
                raise Conflict(_conflict_message(source.sweep_key, config_id, row, earlier))
        if joining:
            _extend_sweep(session, sweep, source_run, source, joining)
            new_rows.extend((sweep.id, row) for row in joining)
    created = _open_sweeps(session, assembly, source_run, source, missing_sweeps)
    new_rows.extend(
        (created[config_id], row) for config_id, rows in missing_sweeps.items() for row in rows
    )
    insert_result_rows(session=session, rows=new_rows)
    processed_before = assembly.assembled_at is not None
    _record_post(assembly, final=final, brought_rows=bool(new_rows), now=now)
    session.flush()
    return JoinedAssembly(
        assembly.id,
        stored_rows=len(new_rows),
        repeated_rows=repeated,
        nothing_to_process=processed_before and not new_rows,
    )


def _locked_assembly(
    session: Session, source_run: models.SourceRun, sweep_key: str, now: datetime
) -> models.SweepAssembly:
    """The sweep key's assembly, created by the first post to name it, locked until commit."""
    table = models.SweepAssembly.__table__
    session.execute(
        insert_ignoring_conflicts(session, table, ["sweep_key"]),
        {
            "sweep_key": sweep_key,
            "engine": source_run.engine,
            "commit": source_run.commit,
            "image": source_run.image,
            "opened_at": now,
            "last_post_at": now,
        },
    )
    assembly = session.execute(
        select(models.SweepAssembly)
        .where(models.SweepAssembly.sweep_key == sweep_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if (assembly.engine, assembly.commit) != (source_run.engine, source_run.commit):
        raise Conflict(
            f"sweep_key {sweep_key!r} belongs to engine {assembly.engine!r} at commit "
            f"{assembly.commit!r}; this post says engine {source_run.engine!r} at commit "
            f"{source_run.commit!r}: the jobs of one run share engine and commit (post another "
            "run under its own sweep key)"
        )
    return assembly


def _sweeps_of(
    session: Session, assembly_id: int, config_ids: list[int]
) -> dict[int, models.Sweep]:
    return {
        sweep.config_id: sweep
        for sweep in session.execute(
            select(models.Sweep).where(
                models.Sweep.assembly_id == assembly_id, models.Sweep.config_id.in_(config_ids)
            )
        ).scalars()
    }


def _stored_rows(
    session: Session,
    sweeps: Mapping[int, models.Sweep],
    rows_by_config_id: Mapping[int, Sequence[ResultRow]],
) -> dict[tuple[int, int], tuple[Any, ...]]:
    """The stored rows at the posted (sweep, conc) pairs, in ``RESULT_ROW_COLUMNS`` order."""
    keys = [
        (sweep.id, row.conc)
        for config_id, sweep in sweeps.items()
        for row in rows_by_config_id[config_id]
    ]
    if not keys:
        return {}
    table = models.ResultRow.__table__
    columns = [table.c[name] for name in RESULT_ROW_COLUMNS]
    found = session.execute(
        select(*columns).where(tuple_(table.c.sweep_id, table.c.conc).in_(keys))
    )
    return {(values[0], values[1]): tuple(values) for values in found}


def _conflict_message(
    sweep_key: str, config_id: int, row: ResultRow, earlier: tuple[Any, ...]
) -> str:
    stored = dict(zip(RESULT_ROW_COLUMNS, earlier, strict=True))
    posted = dict(zip(RESULT_ROW_COLUMNS, result_row_values(0, row), strict=True))
    differing = [
        f"{name} {describe(stored[name])} before, {describe(posted[name])} now"
        for name in RESULT_ROW_COLUMNS[2:]
        if stored[name] != posted[name] and name != "extra"
    ]
    extra_keys = sorted(
        key
        for key in stored["extra"].keys() | posted["extra"].keys()
        if stored["extra"].get(key) != posted["extra"].get(key)
    )
    differing += [
        f"{key} {describe(stored['extra'].get(key))} before, "
        f"{describe(posted['extra'].get(key))} now"
        for key in extra_keys
    ]
    shown = "; ".join(differing[:_SHOWN_DIFFERENCES])
    more = len(differing) - _SHOWN_DIFFERENCES
    config = row.config
    return (
        f"the job of conc {row.conc} for series {config_id} ({config.hardware} "
        f"{config.framework} {config.model} {config.precision} {config.isl}/{config.osl}) was "
        f"posted under sweep_key {sweep_key!r} before, with other values: {shown}"
        + (f" (and {more} more)" if more > 0 else "")
        + "; a repeated job must send the same rows (a new run needs its own sweep key)"
    )


def _extend_sweep(
    session: Session,
    sweep: models.Sweep,
    source_run: models.SourceRun,
    source: SourceIn,
    rows: Sequence[ResultRow],
) -> None:
    """A job's rows join a sweep: the earliest timestamp stays, components are merged."""
    posted = sweep_components(source.components, rows)
    components = dict(sweep.components)
    for name, value in posted.items():
        values = set(value.split(_JOINED_VALUES))
        if name in components:
            values |= set(str(components[name]).split(_JOINED_VALUES))
        components[name] = _JOINED_VALUES.join(sorted(values))
    session.execute(
        update(models.Sweep)
        .where(models.Sweep.id == sweep.id)
        .values(timestamp=min(sweep.timestamp, source_run.timestamp), components=components)
    )


def _open_sweeps(
    session: Session,
    assembly: models.SweepAssembly,
    source_run: models.SourceRun,
    source: SourceIn,
    rows_by_config_id: Mapping[int, Sequence[ResultRow]],
) -> dict[int, int]:
    """Sweep ids by config id for the configs this post is the first of its key to carry."""
    created: dict[int, int] = {}
    for config_id, rows in rows_by_config_id.items():
        values = (
            config_id,
            source_run.id,
            assembly.id,
            source_run.timestamp,
            sweep_components(source.components, rows),
        )
        created[config_id] = session.execute(
            insert(models.Sweep)
            .values(dict(zip(SWEEP_COLUMNS, values, strict=True)))
            .returning(models.Sweep.id)
        ).scalar_one()
    return created


def _record_post(
    assembly: models.SweepAssembly, *, final: bool, brought_rows: bool, now: datetime
) -> None:
    """The quiet window restarts with every post; `final` completes the assembly; new rows
    after it was processed open it again."""
    assembly.last_post_at = now
    if final and assembly.final_at is None:
        assembly.final_at = now
    if brought_rows and assembly.assembled_at is not None:
        assembly.assembled_at = None
