"""`tracker demo`: six months of nightly InferenceX-like history through the real code paths."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from tracker import jsonio
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.demo.simulation import DEMO, History, generate_history
from tracker.demo.summary import IngestFigures, print_summary
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.periodic import run_to_completion
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.pipeline.stages import periodic_stages
from tracker.settings import Settings

NIGHTLY_TAIL = 7
"""The last nights are posted one by one as nightly runs; the months before as a backfill."""


def ingest_history(
    *,
    history: History,
    session_factory: sessionmaker[Session],
    settings: Settings,
    console: Console,
) -> IngestFigures:
    """The history as engine CI would bring it: months of backfill, then nightly runs.

    Everything goes through intake and the in-process worker code; detection runs once per
    track over the backfill, then incrementally on each nightly run.
    """
    scheduler = InProcessScheduler(session_factory=session_factory, settings=settings)
    started = time.perf_counter()
    backfill_nights = history.nights[:-NIGHTLY_TAIL]
    nightly_nights = history.nights[-NIGHTLY_TAIL:]
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
    )
    rows = 0
    with Progress(*columns, console=console) as progress:
        for description, nights, backfill in (
            (f"backfilling {len(backfill_nights)} nights", backfill_nights, True),
            (f"nightly runs, last {len(nightly_nights)} nights", nightly_nights, False),
        ):
            task = progress.add_task(description, total=sum(len(n.planned) for n in nights), rows=0)
            task_rows = 0
            for night in nights:
                for body in night.submissions:
                    with session_factory() as session:
                        receipt = accept_submission(
                            session=session,
                            scheduler=scheduler,
                            body=jsonio.dumps({**body, "backfill": backfill}).encode(),
                        )
                    task_rows += receipt.submission.results
                    progress.update(task, advance=1, rows=task_rows)
            rows += task_rows
            if backfill:
                with console.status("change-point detection over the backfill…"):
                    run_to_completion(scheduler, periodic_stages(settings))
    return IngestFigures(
        submissions=history.submission_count, rows=rows, seconds=time.perf_counter() - started
    )


def demo_settings(settings: Settings) -> Settings:
    """The settings the demo runs (and serves) with: the whole history arrives in seconds, so
    there is no night to wait for before grouping alerts."""
    return settings.model_copy(update={"alert_settle_seconds": 0.0})


def run_demo(settings: Settings, *, seed: int, nights: int | None = None) -> None:
    """Generate, ingest and summarise the demo history (with `demo_settings`)."""
    console = Console()
    url = settings.resolved_database_url
    migrations.upgrade(url)
    session_factory = make_sessionmaker(create_db_engine(url))
    history = generate_history(seed=seed, scale=DEMO, nights=nights)
    console.print(
        f"Demo history: {history.submission_count:,} nightly submissions, {history.row_count:,} "
        f"result rows, {len(history.configs)} configs, {len(history.true_changes)} real changes."
    )
    figures = ingest_history(
        history=history, session_factory=session_factory, settings=settings, console=console
    )
    with session_factory() as session:
        print_summary(session=session, figures=figures, console=console)
