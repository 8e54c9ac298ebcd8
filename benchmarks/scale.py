"""Reads and a night's detection at a fleet's scale: a database built through the project's own
bulk path (backfill submissions posted to `tracker serve`, processed by `tracker worker`), then
p50/p95 of the reads, the pages' server time, a nightly run of every config through detection,
and the storage per result row.

    python -m benchmarks.scale                             # 20,000 configs × 72 nights ≈ 10 M rows
    python -m benchmarks.scale --configs 2000 --nights 30  # a smaller run
    python -m benchmarks.scale --keep-database             # then: --database NAME [--night 73]

Configs are synthetic single-node sweeps (7 concurrencies each, `tests.support.builders`) over the
known GPUs, four TP sizes and as many ISLs as it takes; one config in 50 steps down by 15 % at
two thirds of the history, so that change points and alerts exist. Nights are posted as backfill
submissions of `--configs-per-post` configs each by `--clients` threads; the build's throughput is
printed for its first and its last tenth, so a cost that grows with the table shows.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg

from benchmarks.ingest import wait_until_processed
from benchmarks.stack import Stack, running_stack
from tests.support.builders import night_timestamp, synthetic_rows
from tracker.configs.hardware import KNOWN_GPUS

BROKER_DB = 13
POINTS_PER_SWEEP = 7
TP_SIZES = (1, 2, 4, 8)
STEP_EVERY = 50
TARGETS = {"reads p95": 0.050, "trend p95": 0.020, "pages p95": 0.300, "night": 60.0}


def config_fields(index: int) -> dict[str, Any]:
    gpu = KNOWN_GPUS[index % len(KNOWN_GPUS)]
    tp = TP_SIZES[(index // len(KNOWN_GPUS)) % len(TP_SIZES)]
    isl = 1024 + index // (len(KNOWN_GPUS) * len(TP_SIZES))
    return {"hardware": gpu, "tp": tp, "isl": isl, "osl": 1024}


def night_body(night: int, first: int, count: int, nights: int, *, backfill: bool) -> bytes:
    """One post: configs ``first`` … ``first + count - 1`` of one night."""
    rng = random.Random(night * 1_000_003 + first)
    rows = []
    for index in range(first, first + count):
        stepped = index % STEP_EVERY == 0 and night >= 2 * nights // 3
        level = (0.85 if stepped else 1.0) * (1 + rng.gauss(0, 0.01))
        rows.extend(synthetic_rows(framework="sglang", level=level, **config_fields(index)))
    body = {
        "source": {
            "engine": "sglang",
            "commit": f"{night:05d}abcdef",
            "timestamp": night_timestamp(night),
            "run_key": f"scale:{night}:{first}",
        },
        "results": rows,
        "backfill": backfill,
    }
    return json.dumps(body).encode()


def post_bodies(
    url: str, token: str, count: int, body: Callable[[int], bytes], clients: int
) -> list[float]:
    """Post bodies 0 … count-1 (built by each client thread as it goes); the moment each answer
    came, in order of answering."""
    next_index = itertools.count()
    answered: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=300) as http:
            while (index := next(next_index)) < count:
                response = http.post("/api/v1/submissions", content=body(index))
                assert response.status_code in (200, 202), response.text[:500]
                with lock:
                    answered.append(time.perf_counter())

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answered


def timed(http: httpx.Client, paths: list[str]) -> tuple[float, float]:
    """p50 and p95 seconds of GETting each path once (after one unmeasured warm-up)."""
    http.get(paths[0]).raise_for_status()
    seconds = []
    for path in paths:
        started = time.perf_counter()
        http.get(path).raise_for_status()
        seconds.append(time.perf_counter() - started)
    quantiles = statistics.quantiles(seconds, n=20)
    return statistics.median(seconds), quantiles[18]


def build(
    stack: Stack, posts: int, backfill_body: Callable[[int], bytes], clients: int, rows: int
) -> None:
    """Post every backfill, wait until all are processed, and print the build's figures."""
    started = time.perf_counter()
    answered = post_bodies(stack.url, stack.token, posts, backfill_body, clients)
    wait_until_processed(stack.database_url, timeout_s=24 * 3600)
    build_s = time.perf_counter() - started
    tenth = max(len(answered) // 10, 2)
    rows_per_post = rows / posts
    first_rate = (tenth - 1) * rows_per_post / (answered[tenth - 1] - answered[0])
    last_rate = (tenth - 1) * rows_per_post / (answered[-1] - answered[-tenth])
    print(f"build: {build_s:,.0f} s, {rows / build_s:,.0f} rows/s processed end to end")
    print(
        f"accepted rows/s: first tenth {first_rate:,.0f}, last tenth {last_rate:,.0f} "
        f"(last / first {last_rate / first_rate:.2f}; target ≥ 0.80)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", type=int, default=20_000)
    parser.add_argument("--nights", type=int, default=72)
    parser.add_argument("--configs-per-post", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--reads", type=int, default=60)
    parser.add_argument(
        "--keep-database", action="store_true", help="keep the built database (its name is printed)"
    )
    parser.add_argument(
        "--database",
        help="skip the build: measure a database kept by an earlier run with the same --configs "
        "and --nights (migrated to head first)",
    )
    parser.add_argument(
        "--night",
        type=int,
        help="which night the timed nightly run posts (default: the one after the history; give "
        "a later one to measure a kept database again)",
    )
    arguments = parser.parse_args()
    configs, nights, per_post = arguments.configs, arguments.nights, arguments.configs_per_post
    posts_per_night = -(-configs // per_post)
    rows = configs * nights * POINTS_PER_SWEEP
    print(f"building {rows:,} result rows: {configs:,} configs × {nights} nights")

    def backfill_body(index: int) -> bytes:
        night, part = divmod(index, posts_per_night)
        first = part * per_post
        return night_body(night, first, min(per_post, configs - first), nights, backfill=True)

    with running_stack(
        name="scale",
        redis_db=BROKER_DB,
        api_workers=arguments.api_workers,
        worker_concurrency=arguments.worker_concurrency,
        environment={"TRACKER_ALERT_SETTLE_SECONDS": "0"},
        database=arguments.database,
        keep_database=arguments.keep_database,
    ) as stack:
        database = stack.database_url.replace("+psycopg", "")
        if arguments.database:
            print(f"measuring the kept database {arguments.database} (no build)")
        else:
            build(stack, nights * posts_per_night, backfill_body, arguments.clients, rows)
            if arguments.keep_database:
                print(f"kept: --database {database.rsplit('/', 1)[1]}")
        with psycopg.connect(database, autocommit=True) as connection:
            connection.execute("ANALYZE")
            size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
            stored = connection.execute("SELECT count(*) FROM result_rows").fetchone()
        assert size is not None and stored is not None
        per_row = size[0] / stored[0]
        yearly = per_row * configs * POINTS_PER_SWEEP * 365
        print(
            f"database: {size[0] / 2**30:.2f} GiB for {stored[0]:,} rows = {per_row:,.0f} B/row "
            f"(target ≤ 1,024); a year of nightly history for these configs: "
            f"{yearly / 2**30:.1f} GiB"
        )

        reads = arguments.reads
        pick = random.Random(7)
        series_ids = [pick.randrange(1, configs + 1) for _ in range(reads)]
        filters = [f"hardware={KNOWN_GPUS[i % len(KNOWN_GPUS)]}" for i in range(reads)]
        middle = configs // 2
        since = night_timestamp(nights - 30)[:10]
        measured = {
            "trend (whole history)": [
                f"/api/v1/series/{i}/trend?interactivity=35" for i in series_ids
            ],
            "series, first page": ["/api/v1/series"] * reads,
            "series, filtered": [f"/api/v1/series?{f}" for f in filters],
            "series, deep cursor": [f"/api/v1/series?cursor={middle}"] * reads,
            "compare": [
                f"/api/v1/compare?model=deepseek-ai/DeepSeek-R1-0528&precision=fp8&isl={1024 + i}"
                f"&osl=1024&interactivity=35"
                for i in range(reads)
            ],
            "changes since": [f"/api/v1/changes?since={since}"] * reads,
            "alerts": ["/api/v1/alerts"] * reads,
        }
        pages = {
            "explorer page": ["/"] * reads,
            "trend page": [f"/series/{i}" for i in series_ids],
        }
        with httpx.Client(base_url=stack.url, timeout=60) as http:
            for name, paths in {**measured, **pages}.items():
                p50, p95 = timed(http, paths)
                target = TARGETS["pages p95" if name in pages else "reads p95"]
                if name.startswith("trend ("):
                    target = TARGETS["trend p95"]
                print(
                    f"{name}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
                    f"(target p95 < {target * 1000:.0f} ms)"
                )

        night = nights if arguments.night is None else arguments.night
        night_started = time.perf_counter()
        post_bodies(
            stack.url,
            stack.token,
            posts_per_night,
            lambda part: night_body(
                night,
                part * per_post,
                min(per_post, configs - part * per_post),
                nights,
                backfill=False,
            ),
            arguments.clients,
        )
        wait_until_processed(stack.database_url, timeout_s=3600)
        night_s = time.perf_counter() - night_started
        print(
            f"a night of {configs:,} configs through detection: {night_s:.1f} s with "
            f"{arguments.worker_concurrency} worker processes (target < {TARGETS['night']:.0f} s)"
        )


if __name__ == "__main__":
    main()
