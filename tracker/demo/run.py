"""`tracker demo`: six months of nightly InferenceX-like history through the real code paths."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alerts.delivery.outbox import build_notifier
from alerts.delivery.post import deliver_digest
from alerts.digests import build_digest
from alerts.jobs import MONTHLY
from alerts.routing import LOG_CHANNEL
from tracker import jsonio, models
from tracker.db import migrations
from tracker.db.engine import create_db_engine, database_label, make_sessionmaker
from tracker.demo.delivery_log import DeliveryLog
from tracker.demo.simulation import DEMO, History, generate_history
from tracker.demo.summary import IngestFigures, print_summary
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.periodic import run_to_completion
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.pipeline.stages import Stage, periodic_stages
from tracker.settings import Settings

NIGHTLY_TAIL = 7
"""The last nights are posted one by one as nightly runs; the months before as a backfill."""


class DemoRefused(Exception):
    """The demo cannot do what it was asked (``--fresh`` on a database that is not the
    embedded file)."""


def _settle_stages(settings: Settings) -> list[Stage]:
    """The periodic stages the demo runs after each phase: the backfill pass, grouping and
    delivery, and every edit they lead to. Digests on the wall clock are left out: the history
    ends before today, so the demo posts one digest of its own, at the latest run."""
    return [stage for stage in periodic_stages(settings) if stage is not Stage.POST_DIGESTS]


def ingest_history(
    *,
    history: History,
    session_factory: sessionmaker[Session],
    settings: Settings,
    console: Console,
) -> IngestFigures:
    """The history as engine CI would bring it: months of backfill, then nightly runs.

    Everything goes through intake and the in-process worker code; detection runs once per
    track over the backfill, then incrementally on each nightly run. Each phase ends when every
    stage it led to has run (the settle window is 0), so every alert is made and delivered.
    """
    scheduler = InProcessScheduler(session_factory=session_factory, settings=settings)
    started = time.perf_counter()
    backfill_nights = history.nights[:-NIGHTLY_TAIL]
    nightly_nights = history.nights[-NIGHTLY_TAIL:]
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
    )
    rows = 0
    with Progress(*columns, console=console) as progress:
        for description, nights, backfill in (
            (f"backfill, {len(backfill_nights)} nights", backfill_nights, True),
            (f"nightly, last {len(nightly_nights)}", nightly_nights, False),
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
            what = "detection over the backfill" if backfill else "the last alerts"
            with console.status(f"{what}…"):
                run_to_completion(scheduler, _settle_stages(settings))
    return IngestFigures(
        submissions=history.submission_count, rows=rows, seconds=time.perf_counter() - started
    )


def post_digest_at_latest_run(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The month-over-month digest, counted back from the latest run in the data (the history
    ends weeks before today, when every family would read 0 %)."""
    with session_factory() as session:
        latest = session.scalar(select(func.max(models.SourceRun.timestamp)))
        if latest is None:
            return
        digest = build_digest(
            session=session,
            days=MONTHLY.days,
            now=latest,
            title=f"{MONTHLY.title}, up to the latest run ({latest:%Y-%m-%d})",
        )
    channel = settings.digest_channel or LOG_CHANNEL
    deliver_digest(build_notifier(settings), channel=channel, digest=digest)


def demo_settings(settings: Settings) -> Settings:
    """The settings the demo runs (and serves) with: the whole history arrives in seconds, so
    there is no night to wait for before grouping alerts."""
    return settings.model_copy(update={"alert_settle_seconds": 0.0})


def _delete_embedded_database(settings: Settings) -> None:
    if not settings.is_embedded:
        raise DemoRefused(
            "--fresh deletes the embedded SQLite file only; empty the database of "
            "TRACKER_DATABASE_URL yourself, or unset it"
        )
    database = make_url(settings.resolved_database_url).database
    if database:
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)


def run_demo(
    settings: Settings, *, seed: int, fresh: bool = False, nights: int | None = None
) -> None:
    """Generate, ingest and summarise the demo history (with `demo_settings`).

    A database that already holds submissions is not ingested into again: its summary is
    printed, and ``fresh`` (embedded file only) deletes it first instead.
    """
    console = Console()
    url = settings.resolved_database_url
    if fresh:
        _delete_embedded_database(settings)
    migrations.upgrade(url)
    session_factory = make_sessionmaker(create_db_engine(url))
    with session_factory() as session:
        stored = session.scalar(select(func.count()).select_from(models.Submission)) or 0
    if stored:
        console.print(
            f"Found an existing database, {database_label(url)}, holding {stored:,} "
            "submissions: nothing is ingested again, and what it holds is summarised below. "
            "`tracker demo --fresh` deletes it and starts over.",
            soft_wrap=True,  # the path stays whole, for copying
        )
        with session_factory() as session:
            print_summary(session=session, figures=None, delivery_log=None, console=console)
        return
    history = generate_history(seed=seed, scale=DEMO, nights=nights)
    console.print(
        f"Demo history: {history.submission_count:,} nightly submissions, {history.row_count:,} "
        f"result rows, {len(history.configs)} configs, {len(history.true_changes)} real changes; "
        f"database {database_label(url)}.",
        soft_wrap=True,
    )
    with DeliveryLog.capturing() as delivery_log:
        figures = ingest_history(
            history=history, session_factory=session_factory, settings=settings, console=console
        )
        post_digest_at_latest_run(session_factory=session_factory, settings=settings)
    with session_factory() as session:
        print_summary(session=session, figures=figures, delivery_log=delivery_log, console=console)
