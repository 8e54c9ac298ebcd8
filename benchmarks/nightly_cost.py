"""The nightly processing cost of one submission: its frontier values, incremental detection on
every track it touches and its latest-sweep pointers (`run_process_submission`), in process.

A simulated history (`tracker.demo.simulation`, DEMO scale: 63 configs, one submission per engine
and night; its rows carry median and p99 TTFT, no power fields) is stored night by night in a
scratch Postgres database; each submission is then processed by the worker's job, timed alone
(wall clock and this process's CPU). The first `--warm-nights` build the tracks' histories and
are not counted. After each night, alert grouping and, where the code has them, the periodic
stale and rank checks run once, as beat runs them at least once a night; their time is spread
over the night's submissions. Printed: submissions timed, rows and frontier values per
submission, the median and mean processing cost per submission, each check's time per night, and
the whole night's cost per submission (processing plus checks).

To compare two commits, run this file from each commit's tree with the same environment, in
turns (benchmarks/README.md says how):

    python -m benchmarks.nightly_cost                 # --nights 60 --warm-nights 30 --seed 7
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import func, select

from alerts import jobs as alert_jobs
from tests.conftest import ScratchDatabases
from tracker import jsonio, models
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.demo.simulation import DEMO, generate_history
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.jobs import run_process_submission
from tracker.pipeline.stages import Stage, StageArgument
from tracker.settings import Settings

NIGHTLY_CHECKS = ("run_alert_grouping", "run_stale_check", "run_rank_check")
"""The per-night jobs timed; the code before issue 16 has only the first."""


class CollectingScheduler:
    """Keeps the submissions to process instead of running them, so each is timed alone."""

    def __init__(self) -> None:
        self.submission_ids: list[int] = []

    def schedule(self, stage: Stage, *arguments: StageArgument, delay_s: float = 0.0) -> None:
        if stage is Stage.PROCESS_SUBMISSION:
            self.submission_ids.append(int(arguments[0]))  # type: ignore[arg-type]


def measure(*, seed: int, nights: int, warm_nights: int) -> None:
    history = generate_history(seed=seed, nights=nights, scale=DEMO)
    databases = ScratchDatabases()
    url = databases.create()
    engine = create_db_engine(url)
    session_factory = make_sessionmaker(engine)
    settings = Settings(database_url=url, broker_url=None, alert_settle_seconds=0)
    scheduler = CollectingScheduler()
    checks = {
        name: getattr(alert_jobs, name) for name in NIGHTLY_CHECKS if hasattr(alert_jobs, name)
    }
    wall_ms: list[float] = []
    cpu_ms: list[float] = []
    check_wall_ms: dict[str, list[float]] = {name: [] for name in checks}
    check_cpu_ms: dict[str, list[float]] = {name: [] for name in checks}
    rows = 0
    try:
        for index, night in enumerate(history.nights):
            for body in night.submissions:
                with session_factory() as session:
                    accept_submission(
                        session=session, scheduler=scheduler, body=jsonio.dumps(body).encode()
                    )
                    rows += len(body["results"]) if index >= warm_nights else 0
            for submission_id in scheduler.submission_ids:
                started_wall, started_cpu = time.perf_counter(), time.process_time()
                run_process_submission(
                    session_factory=session_factory, settings=settings, submission_id=submission_id
                )
                if index >= warm_nights:
                    wall_ms.append((time.perf_counter() - started_wall) * 1000)
                    cpu_ms.append((time.process_time() - started_cpu) * 1000)
            scheduler.submission_ids.clear()
            for name, check in checks.items():
                started_wall, started_cpu = time.perf_counter(), time.process_time()
                check(session_factory=session_factory, settings=settings)
                if index >= warm_nights:
                    check_wall_ms[name].append((time.perf_counter() - started_wall) * 1000)
                    check_cpu_ms[name].append((time.process_time() - started_cpu) * 1000)
        with session_factory() as session:
            values = session.scalar(select(func.count()).select_from(models.FrontierValue)) or 0
            tracks = session.scalar(select(func.count()).select_from(models.Track)) or 0
            submissions = session.scalar(select(func.count()).select_from(models.Submission)) or 1
    finally:
        engine.dispose()
        databases.drop_all()
    timed = len(wall_ms)
    print(
        f"{timed} submissions timed (nights {warm_nights + 1}–{nights}), "
        f"{rows / timed:.0f} rows each; {values / submissions:.0f} frontier values a "
        f"submission, {tracks:,} tracks in all"
    )
    print(
        f"per submission: wall median {statistics.median(wall_ms):.1f} ms, "
        f"mean {statistics.fmean(wall_ms):.1f} ms; "
        f"CPU median {statistics.median(cpu_ms):.1f} ms, mean {statistics.fmean(cpu_ms):.1f} ms"
    )
    for name in checks:
        print(
            f"{name} per night: wall median {statistics.median(check_wall_ms[name]):.1f} ms, "
            f"mean {statistics.fmean(check_wall_ms[name]):.1f} ms; "
            f"CPU mean {statistics.fmean(check_cpu_ms[name]):.1f} ms"
        )
    night_wall = sum(wall_ms) + sum(sum(values) for values in check_wall_ms.values())
    night_cpu = sum(cpu_ms) + sum(sum(values) for values in check_cpu_ms.values())
    print(
        f"nightly cost per submission (processing and checks): wall {night_wall / timed:.1f} ms, "
        f"CPU {night_cpu / timed:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=60)
    parser.add_argument("--warm-nights", type=int, default=30)
    arguments = parser.parse_args()
    measure(seed=arguments.seed, nights=arguments.nights, warm_nights=arguments.warm_nights)


if __name__ == "__main__":
    main()
