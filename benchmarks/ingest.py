"""Ingest throughput on the production shape, with raw Postgres COPY of the same rows as ceiling.

Both paths run change-point detection: the nightly path (detection on every touched track per
submission) and the backfill path (`"backfill": true`: frontier values per submission, then one
retrospective detection pass per touched track once the backfill is in).

A synthetic history (tracker.demo.simulation BENCHMARK scale: ≥ 200,000 rows in submissions of about
500 rows, one engine's night each) is posted by concurrent clients to `tracker serve` with a real
`tracker worker` (Celery on Redis) and Postgres. Printed: rows/s accepted (202) and rows/s
processed (status "processed"), and in the same run rows/s of a bare COPY of those rows.

    python -m benchmarks.ingest                   # from the repository root
    python -m benchmarks.ingest --clients 4 --api-workers 2 --worker-concurrency 2   # the defaults
"""

from __future__ import annotations

import argparse
import os
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from benchmarks.stack import running_stack
from tests.conftest import POSTGRES_ADMIN_URL, REDIS_URL
from tests.support.services import wait_for
from tracker import jsonio
from tracker.demo.simulation import BENCHMARK, generate_history
from tracker.ingest.formats import parse_results
from tracker.ingest.written_rows import RESULT_ROW_COLUMNS, result_row_values

BROKER_DB = 12
COPY_CEILING_STATEMENT = f"COPY copy_ceiling ({', '.join(RESULT_ROW_COLUMNS)}) FROM STDIN"


@dataclass(frozen=True)
class Figures:
    rows: int
    submissions: int
    accepted_s: float
    processed_s: float
    copy_s: float
    cpu_s_by_role: dict[str, float]
    tail_s: dict[str, float]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_role() -> dict[str, float]:
    """CPU time (user + system) so far of the processes on this machine, by their role here.

    A process started by a tracked one (uvicorn's and Celery's children) counts for its parent.
    """
    processes: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu_s = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
        processes[int(entry.name)] = (int(fields[1]), command, cpu_s)

    def role(pid: int) -> str | None:
        parent, command, _ = processes[pid]
        if pid == os.getpid():
            return "clients (this script)"
        for name, marker in ROLE_MARKERS:
            if marker in command:
                return name
        return role(parent) if parent in processes else None

    totals: dict[str, float] = defaultdict(float)
    for pid, (_, _, cpu_s) in processes.items():
        name = role(pid)
        if name is not None:
            totals[name] += cpu_s
    return dict(totals)


ROLE_MARKERS = (
    ("api", "tracker serve"),
    ("worker", "tracker worker"),
    ("postgres", "postgres"),
    ("redis", "redis-server"),
)


def post_all(url: str, token: str, bodies: list[bytes], clients: int) -> tuple[float, list[int]]:
    """Post every body with ``clients`` threads; seconds until the last answer, and statuses."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                status = http.post("/api/v1/submissions", content=body).status_code
                with lock:
                    statuses.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


PROCESSED_POLL_S = 0.05


def wait_until_processed(database_url: str, timeout_s: float) -> None:
    """Return as soon as every submission is processed (polled often, on one connection)."""
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as connection:

        def all_processed() -> bool:
            row = connection.execute(
                "SELECT count(*) FROM submissions WHERE status <> 'processed'"
            ).fetchone()
            return row is not None and row[0] == 0

        wait_for(all_processed, timeout_s, "every submission processed", PROCESSED_POLL_S)


TAIL_STAGES = {
    "frontier values written": "max(frontier_written_at)",
    "retrospective pass planned": "max(detection_planned_at)",
    "processed": "max(processed_at)",
}


def tail_after_last_accepted(database_url: str) -> dict[str, float]:
    """Seconds from the last submission received to the last one reaching each stage."""
    stages = ", ".join(
        f"extract(epoch FROM {latest} - max(received_at))" for latest in TAIL_STAGES.values()
    )
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        row = connection.execute(f"SELECT {stages} FROM submissions").fetchone()
    assert row is not None
    return {stage: float(s) for stage, s in zip(TAIL_STAGES, row, strict=True) if s is not None}


def copy_ceiling(database_url: str, bodies: list[bytes]) -> tuple[float, int]:
    """COPY the same rows (hot columns and JSON extras) into an unindexed copy of result_rows."""
    records = []
    for body in bodies:
        document = jsonio.loads(body)
        parsed = parse_results(format="inferencex", results=document["results"], config=None)
        for row in parsed.rows:
            values = result_row_values(1, row)
            records.append((*values[:-1], jsonio.dumps(row.extra)))
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        connection.execute(
            "CREATE TABLE copy_ceiling (LIKE result_rows INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        started = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy(COPY_CEILING_STATEMENT) as copy:
            for record in records:
                copy.write_row(record)
        connection.commit()
        return time.perf_counter() - started, len(records)


def run(arguments: argparse.Namespace, *, backfill: bool) -> Figures:
    history = generate_history(seed=arguments.seed, scale=BENCHMARK)
    bodies = [
        jsonio.dumps({**body, "backfill": backfill}).encode() for body in history.submissions()
    ]
    print(
        f"\n== {'backfill' if backfill else 'nightly'} path: {history.row_count:,} rows in "
        f"{len(bodies):,} submissions ({history.row_count / len(bodies):.0f} rows each), "
        f"{len(history.configs)} configs"
    )
    with running_stack(
        name="ingest",
        redis_db=BROKER_DB,
        api_workers=arguments.api_workers,
        worker_concurrency=arguments.worker_concurrency,
    ) as stack:
        cpu_before = cpu_seconds_by_role()
        started = time.perf_counter()
        accepted_s, statuses = post_all(stack.url, stack.token, bodies, arguments.clients)
        assert set(statuses) == {202}, f"answers: {sorted(set(statuses))} (logs in {stack.logs})"
        # Processed: frontier values written and detection done for every touched track (for a
        # backfill, by the backfill pass).
        wait_until_processed(stack.database_url, timeout_s=3600)
        processed_s = time.perf_counter() - started
        cpu_after = cpu_seconds_by_role()
        tail_s = tail_after_last_accepted(stack.database_url)
        copy_s, copied = copy_ceiling(stack.database_url, bodies)
    assert copied == history.row_count
    cpu_used = {role: cpu_after[role] - cpu_before.get(role, 0.0) for role in cpu_after}
    return Figures(
        history.row_count, len(bodies), accepted_s, processed_s, copy_s, cpu_used, tail_s
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--path", choices=("nightly", "backfill", "both"), default="both", help="ingest path"
    )
    arguments = parser.parse_args()
    print(f"postgres: {POSTGRES_ADMIN_URL.rsplit('@', 1)[-1]}, broker: {REDIS_URL}/{BROKER_DB}")
    for backfill in {"nightly": (False,), "backfill": (True,), "both": (False, True)}[
        arguments.path
    ]:
        report(run(arguments, backfill=backfill), arguments.clients, backfill=backfill)


def report(figures: Figures, clients: int, *, backfill: bool) -> None:
    accepted = figures.rows / figures.accepted_s
    processed = figures.rows / figures.processed_s
    ceiling = figures.rows / figures.copy_s
    path = "backfill" if backfill else "nightly"
    print(f"{figures.rows:,} rows, {figures.submissions:,} submissions, {clients} clients")
    print(f"accepted (202):        {accepted:>10,.0f} rows/s  ({figures.accepted_s:.1f} s)")
    print(f"processed end to end:  {processed:>10,.0f} rows/s  ({figures.processed_s:.1f} s)")
    print(f"raw COPY (ceiling):    {ceiling:>10,.0f} rows/s  ({figures.copy_s:.1f} s)")
    print(f"processed / COPY:      {processed / ceiling:>10.3f}")
    target = "≥ 10,000 rows/s processed including the detection pass" if backfill else "reported"
    print(f"{path} path, with change-point detection; target: {target}")
    print("CPU during the run (user + system), per result row:")
    for role, seconds in sorted(figures.cpu_s_by_role.items(), key=lambda item: -item[1]):
        print(f"  {role:<22} {seconds:6.1f} s  {seconds / figures.rows * 1e6:6.1f} µs/row")
    print("after the last submission was received, the last one:")
    for stage, seconds in figures.tail_s.items():
        print(f"  {stage:<28} +{seconds:5.2f} s")


if __name__ == "__main__":
    main()
