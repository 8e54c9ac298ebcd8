"""Reads of sweeps: their points with the Pareto front marked, frontier values and costs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from tracker import models, views
from tracker.errors import NotFound
from tracker.frontier import pareto_front
from tracker.pagination import Page, newest_first
from tracker.pricing import costs_per_mtok
from tracker.series import frontier_values_by_sweep, require_series

SweepRecord = Row[models.Sweep, models.SourceRun, str]


def _sweep_query() -> Select[models.Sweep, models.SourceRun, str]:
    return (
        select(models.Sweep, models.SourceRun, models.Config.hardware)
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .join(models.Config, models.Config.id == models.Sweep.config_id)
    )


def _points_by_sweep(
    session: Session, sweep_ids: Sequence[int]
) -> dict[int, list[views.SweepPointView]]:
    rows_by_sweep: dict[int, list[models.ResultRow]] = defaultdict(list)
    for row in session.execute(
        select(models.ResultRow)
        .where(models.ResultRow.sweep_id.in_(sweep_ids))
        .order_by(models.ResultRow.sweep_id, models.ResultRow.conc)
    ).scalars():
        rows_by_sweep[row.sweep_id].append(row)
    points: dict[int, list[views.SweepPointView]] = {}
    for sweep_id, rows in rows_by_sweep.items():
        on_front = set(
            pareto_front([r.median_intvty for r in rows], [r.tput_per_gpu for r in rows])
        )
        points[sweep_id] = [
            views.SweepPointView(
                conc=row.conc,
                median_intvty=row.median_intvty,
                tput_per_gpu=row.tput_per_gpu,
                output_tput_per_gpu=row.output_tput_per_gpu,
                median_ttft_s=row.median_ttft_s,
                median_tpot_s=row.median_tpot_s,
                median_e2el_s=row.median_e2el_s,
                on_front=index in on_front,
            )
            for index, row in enumerate(rows)
        ]
    return points


def source_view(source_run: models.SourceRun) -> views.SourceView:
    return views.SourceView(
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
    )


def _sweep_views(session: Session, records: Sequence[SweepRecord]) -> list[views.SweepView]:
    sweep_ids = [sweep.id for sweep, _, _ in records]
    points = _points_by_sweep(session, sweep_ids)
    values = frontier_values_by_sweep(session, sweep_ids)
    result = []
    for sweep, source_run, hardware in records:
        sweep_values = values[sweep.id]
        tput = sweep_values[models.Metric.TPUT_PER_GPU.value]
        result.append(
            views.SweepView(
                id=sweep.id,
                series_id=sweep.config_id,
                source=source_view(source_run),
                points=points.get(sweep.id, []),
                frontier=views.SweepFrontier(
                    tput_per_gpu=tput,
                    output_tput_per_gpu=sweep_values[models.Metric.OUTPUT_TPUT_PER_GPU.value],
                    cost_per_mtok=costs_per_mtok(tput, hardware),
                ),
                components=sweep.components,
            )
        )
    return result


def get_sweep(*, session: Session, sweep_id: int) -> views.SweepView:
    record = session.execute(_sweep_query().where(models.Sweep.id == sweep_id)).first()
    if record is None:
        raise NotFound(f"sweep {sweep_id} does not exist")
    return _sweep_views(session, [record])[0]


def list_sweeps(
    *,
    session: Session,
    series_id: int,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[views.SweepView]:
    """A series' sweeps, newest first."""
    require_series(session, series_id)
    page = newest_first(
        session=session,
        query=_sweep_query().where(models.Sweep.config_id == series_id),
        timestamp=models.Sweep.timestamp,
        key=models.Sweep.id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=_sweep_views(session, page.items), next_cursor=page.next_cursor)
