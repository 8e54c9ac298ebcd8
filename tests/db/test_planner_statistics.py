"""Planner statistics: a bulk load is analysed by the worker before it reads the rows back, so
the reads by sweep stay on their index however fast the tables grow (tracker/db/statistics.py)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import ScratchDatabases
from tests.support.builders import synthetic_body
from tests.support.services import wait_for
from tests.support.stored import Collect, scratch_tracker, store_bodies
from tracker.db.statistics import refresh_planner_statistics, tables_due_for_analysis
from tracker.pipeline.stages import Stage, run_stage

GPUS = ["mi355x", "b200", "h200", "h100"]


def _planner_rows(factory: sessionmaker[Session], table: str) -> float:
    with factory() as session:
        return float(
            session.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = :table"), {"table": table}
            ).scalar_one()
        )


def _due(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return tables_due_for_analysis(session)


def _count(factory: sessionmaker[Session], table: str) -> int:
    with factory() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_processing_after_a_bulk_load_first_brings_the_planner_up_to_date(
    scratch_databases: ScratchDatabases,
) -> None:
    engine, factory, settings = scratch_tracker(scratch_databases)
    submission_ids = store_bodies(
        factory,
        [
            synthetic_body(engine="sglang", night=night, level=1.0, hardware=gpu)
            for night in range(20)
            for gpu in GPUS
        ],
    )
    # Never analysed: the planner takes the freshly loaded table for empty.
    assert _planner_rows(factory, "result_rows") <= 0
    # Counters reach the statistics views within a second or two of each writer going idle.
    wait_for(lambda: "result_rows" in _due(factory), 30, "the load counted as due for ANALYZE")

    run_stage(
        Stage.PROCESS_SUBMISSION,
        submission_ids[0],
        session_factory=factory,
        settings=settings,
        scheduler=Collect(),
    )

    assert _planner_rows(factory, "result_rows") == _count(factory, "result_rows")
    assert _planner_rows(factory, "sweeps") == _count(factory, "sweeps")
    engine.dispose()


def test_a_table_is_analysed_again_only_once_it_has_grown_by_a_tenth(
    scratch_databases: ScratchDatabases,
) -> None:
    engine, factory, _ = scratch_tracker(scratch_databases)
    bodies = [
        synthetic_body(engine="sglang", night=night, level=1.0, hardware=gpu)
        for night in range(40)
        for gpu in GPUS
    ]
    store_bodies(factory, bodies[:100])
    wait_for(lambda: "result_rows" in _due(factory), 30, "the load counted as due for ANALYZE")
    assert "result_rows" in refresh_planner_statistics(factory)
    analysed_at = _count(factory, "result_rows")

    store_bodies(factory, bodies[100:104])  # 4 % more rows: not yet due
    assert "result_rows" not in refresh_planner_statistics(factory)
    assert _planner_rows(factory, "result_rows") == analysed_at

    store_bodies(factory, bodies[104:])  # 60 % more
    wait_for(lambda: "result_rows" in _due(factory), 30, "the growth counted as due for ANALYZE")
    assert "result_rows" in refresh_planner_statistics(factory)
    assert _planner_rows(factory, "result_rows") == _count(factory, "result_rows")
    engine.dispose()
