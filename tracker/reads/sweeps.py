"""Reads of sweeps: their points with the Pareto front marked, frontier values and costs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.errors import NotFound
from tracker.processing.frontier import pareto_front
from tracker.reads.pagination import Page, newest_first
from tracker.reads.pricing import costs_per_mtok
from tracker.reads.series import ValuesByTarget, frontier_values_by_sweep, require_series
from tracker.vocabulary import Metric, NoValuesReason, SubmissionPurpose


@dataclass(frozen=True)
class Source:
    """The source run a sweep came from."""

    engine: str
    engine_version: str | None
    image: str | None
    commit: str | None
    repo: str | None
    branch: str | None
    run_key: str
    run_url: str | None
    timestamp: datetime
    components: dict[str, str]
    sweep_key: str | None


@dataclass(frozen=True)
class SweepPoint:
    """One row of a sweep; ``on_front``: on the `tput_per_gpu` Pareto front of the points that
    are not degraded; ``degraded``: left out of the fronts for failed requests."""

    conc: int
    median_intvty: float
    tput_per_gpu: float
    output_tput_per_gpu: float | None
    median_ttft_s: float | None
    p99_ttft_s: float | None
    median_tpot_s: float | None
    median_e2el_s: float | None
    joules_per_output_token: float | None
    on_front: bool
    degraded: bool


@dataclass(frozen=True)
class SweepFrontier:
    tput_per_gpu: ValuesByTarget
    output_tput_per_gpu: ValuesByTarget
    median_ttft: ValuesByTarget
    p99_ttft: ValuesByTarget
    joules_per_token: ValuesByTarget
    cost_per_mtok: dict[str, ValuesByTarget]
    """By price set, then target."""


@dataclass(frozen=True)
class SweepDetail:
    """A sweep with its points, frontier values, source and components."""

    id: int
    series_id: int
    source: Source
    points: list[SweepPoint]
    frontier: SweepFrontier
    components: dict[str, str]
    degraded: dict[str, Any] | None
    """The points left out of the fronts for failed requests, and the targets withheld for
    them (docs/frontier.md#failed-requests); null when none."""
    no_values_reason: NoValuesReason | None
    """Why a processed sweep has no frontier value; null when it has one, or is not processed."""


SweepRecord = Row[models.Sweep, models.SourceRun, models.Config]


def _sweep_query() -> Select[models.Sweep, models.SourceRun, models.Config]:
    return (
        select(models.Sweep, models.SourceRun, models.Config)
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .join(models.Config, models.Config.id == models.Sweep.config_id)
    )


def _points_by_sweep(
    session: Session, sweep_ids: Sequence[int], left_out: dict[int, frozenset[int]]
) -> dict[int, list[SweepPoint]]:
    rows_by_sweep: dict[int, list[models.ResultRow]] = defaultdict(list)
    for row in session.execute(
        select(models.ResultRow)
        .where(models.ResultRow.sweep_id.in_(sweep_ids))
        .order_by(models.ResultRow.sweep_id, models.ResultRow.conc)
    ).scalars():
        rows_by_sweep[row.sweep_id].append(row)
    points: dict[int, list[SweepPoint]] = {}
    for sweep_id, rows in rows_by_sweep.items():
        degraded = left_out.get(sweep_id, frozenset())
        kept = [row for row in rows if row.conc not in degraded]
        on_front = {
            kept[i].conc
            for i in pareto_front([r.median_intvty for r in kept], [r.tput_per_gpu for r in kept])
        }
        points[sweep_id] = [
            SweepPoint(
                conc=row.conc,
                median_intvty=row.median_intvty,
                tput_per_gpu=row.tput_per_gpu,
                output_tput_per_gpu=row.output_tput_per_gpu,
                median_ttft_s=row.median_ttft_s,
                p99_ttft_s=row.p99_ttft_s,
                median_tpot_s=row.median_tpot_s,
                median_e2el_s=row.median_e2el_s,
                joules_per_output_token=row.joules_per_output_token,
                on_front=row.conc in on_front,
                degraded=row.conc in degraded,
            )
            for row in rows
        ]
    return points


def source_of(source_run: models.SourceRun) -> Source:
    return Source(
        engine=source_run.engine,
        engine_version=source_run.engine_version,
        image=source_run.image,
        commit=source_run.commit,
        repo=source_run.repo,
        branch=source_run.branch,
        run_key=source_run.run_key,
        run_url=source_run.run_url,
        timestamp=source_run.timestamp,
        components=source_run.components,
        sweep_key=source_run.sweep_key,
    )


def _sweep_details(session: Session, records: Sequence[SweepRecord]) -> list[SweepDetail]:
    sweep_ids = [sweep.id for sweep, _, _ in records]
    points = _points_by_sweep(
        session,
        sweep_ids,
        {
            sweep.id: frozenset(point["conc"] for point in sweep.degraded["points"])
            for sweep, _, _ in records
            if sweep.degraded is not None
        },
    )
    values = frontier_values_by_sweep(session, sweep_ids)
    result = []
    for sweep, source_run, config in records:
        sweep_values = values[sweep.id]
        tput = sweep_values[Metric.TPUT_PER_GPU.value]
        result.append(
            SweepDetail(
                id=sweep.id,
                series_id=sweep.config_id,
                source=source_of(source_run),
                points=points.get(sweep.id, []),
                frontier=SweepFrontier(
                    tput_per_gpu=tput,
                    output_tput_per_gpu=sweep_values[Metric.OUTPUT_TPUT_PER_GPU.value],
                    median_ttft=sweep_values[Metric.MEDIAN_TTFT.value],
                    p99_ttft=sweep_values[Metric.P99_TTFT.value],
                    joules_per_token=sweep_values[Metric.JOULES_PER_TOKEN.value],
                    cost_per_mtok=costs_per_mtok(tput, config),
                ),
                components=sweep.components,
                degraded=sweep.degraded,
                no_values_reason=sweep.no_values_reason,
            )
        )
    return result


def get_sweep(*, session: Session, sweep_id: int) -> SweepDetail:
    record = session.execute(_sweep_query().where(models.Sweep.id == sweep_id)).first()
    if record is None:
        raise NotFound(f"sweep {sweep_id} does not exist")
    return _sweep_details(session, [record])[0]


def list_sweeps(
    *,
    session: Session,
    series_id: int,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[SweepDetail]:
    """A series' sweeps of its history, newest first."""
    require_series(session, series_id)
    page = newest_first(
        session=session,
        query=_sweep_query().where(
            models.Sweep.config_id == series_id,
            # A bisection's runs are not the series' history (they stay readable by id).
            models.SourceRun.purpose == SubmissionPurpose.HISTORY,
        ),
        timestamp=models.Sweep.timestamp,
        key=models.Sweep.id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=_sweep_details(session, page.items), next_cursor=page.next_cursor)
