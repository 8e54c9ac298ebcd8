"""Time to first render of the dashboard: the trend page of a series with two years of nightly
data, and the explorer over 5,000 series.

Seeds a scratch database through the real intake path (one series nightly for 730 nights with
two steps and bad nights, detection included; 5,000 configs over three nights, posted as
engines' nightly submissions of several hundred configs each), starts `tracker serve` on it,
then prints:
- server time: the HTML answer's time to last byte (httpx), median of repeated loads after a
  warm-up, and the same for the JSON reads behind each page;
- time to a drawn chart in headless Chromium: navigation start → the page's `data-chart-ready`
  (set on ECharts' first `finished` event), median over fresh tabs.

    python -m benchmarks.dashboard                 # embedded SQLite in a temporary directory
    python -m benchmarks.dashboard --postgres      # a scratch Postgres database

Targets: under 300 ms server time, under 1 s to a drawn chart.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.api.dashboard.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import ScratchDatabases
from tests.support.builders import nightly_levels, source, synthetic_rows
from tests.support.services import free_port, tracker_process, wait_for
from tracker import jsonio
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.periodic import run_to_completion
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.pipeline.stages import periodic_stages
from tracker.settings import Settings

TREND_NIGHTS = 730
EXPLORER_CONFIGS = 5_000
EXPLORER_NIGHTS = 3
ENGINES = ("sglang", "vllm", "trt", "atom", "dynamo-trt", "dynamo-sglang", "mori-sglang")
GPUS = ("h100", "h200", "b200", "b300", "gb200", "gb300", "mi300x", "mi325x", "mi355x")
MODELS = (
    "deepseek-ai/deepseek-r1-0528",
    "openai/gpt-oss-120b",
    "qwen/qwen3-235b-a22b",
    "moonshotai/kimi-k2.5",
    "minimaxai/minimax-m2.5",
    "meta-llama/llama-3.3-70b-instruct",
)
PRECISIONS = ("fp8", "fp4", "bf16")
SEQUENCES = ((1024, 1024), (8192, 1024), (1024, 8192))
TPS = (1, 2, 4, 8)
TREND_MODEL = "deepseek-ai/deepseek-v3.2"  # not among MODELS: its series is the trend alone
SERVER_REPEATS = 7
BROWSER_REPEATS = 5
FIRST_NIGHT = datetime(2024, 6, 1, 3, tzinfo=UTC)


def night_stamp(night: int) -> str:
    return (FIRST_NIGHT + timedelta(days=night)).isoformat().replace("+00:00", "Z")


def body(engine: str, night: int, key: str, rows: list[dict[str, Any]], backfill: bool) -> bytes:
    document = {
        "source": source(
            engine=engine,
            run_key=f"dashboard-bench:{key}:{night}",
            commit=f"{engine[:4]}{night:05d}",
            engine_version=f"1.{night // 30}.{night % 30}",
            timestamp=night_stamp(night),
            repo=None,
        ),
        "results": rows,
        "backfill": backfill,
    }
    return jsonio.dumps(document).encode()


def explorer_configs() -> Iterator[dict[str, Any]]:
    """5,000 distinct single-node configs across engines, GPUs, models and shapes."""
    # Engines vary fastest, so every engine and GPU gets its share of the 5,000.
    grid = itertools.product(TPS, SEQUENCES, PRECISIONS, MODELS, GPUS, ENGINES)
    for tp, (isl, osl), precision, model, hardware, engine in itertools.islice(
        grid, EXPLORER_CONFIGS
    ):
        yield {
            "framework": engine,
            "hardware": hardware,
            "model": model,
            "precision": precision,
            "isl": isl,
            "osl": osl,
            "tp": tp,
        }


def seed(session_factory: sessionmaker[Session], settings: Settings) -> None:
    """The two-year series, then the 5,000 configs."""
    scheduler = InProcessScheduler(session_factory=session_factory, settings=settings)

    def accept(payload: bytes) -> None:
        with session_factory() as session:
            accept_submission(session=session, scheduler=scheduler, body=payload)

    started = time.perf_counter()
    levels = nightly_levels(
        TREND_NIGHTS,
        steps={300: 0.9, 520: 1.08},
        outliers={100: 0.7, 410: 0.75, 650: 0.72},
        noise=0.006,
    )
    for night, level in enumerate(levels):
        rows = synthetic_rows(
            framework="sglang", hardware="mi355x", model=TREND_MODEL, level=level, tp=8
        )
        # The months before the last week as a backfill, as `tracker demo` brings them.
        accept(body("sglang", night, "trend", rows, backfill=night < TREND_NIGHTS - 7))
    run_to_completion(scheduler, periodic_stages(settings))
    print(f"seeded {TREND_NIGHTS} nights of one series in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    by_engine: dict[str, list[dict[str, Any]]] = {}
    for config in explorer_configs():
        by_engine.setdefault(config["framework"], []).append(config)
    for night in range(EXPLORER_NIGHTS):
        for engine, configs in by_engine.items():
            rows = [
                row
                for config in configs
                for row in synthetic_rows(**config, level=1 + 0.01 * night)
            ]
            accept(body(engine, night, f"explorer-{engine}", rows, backfill=True))
    # The backfill pass marks the submissions processed: reads show only those.
    run_to_completion(scheduler, periodic_stages(settings))
    print(
        f"seeded {EXPLORER_CONFIGS:,} configs × {EXPLORER_NIGHTS} nights "
        f"in {time.perf_counter() - started:.0f} s"
    )


@contextmanager
def scratch_database(postgres: bool) -> Iterator[str]:
    if postgres:
        databases = ScratchDatabases()
        try:
            yield databases.create()
        finally:
            databases.drop_all()
        return
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'tracker.db'}"
        migrations.upgrade(url)
        yield url


def server_times(base_url: str, path: str) -> list[float]:
    """Seconds to the last byte of ``path``, after one warm-up load."""
    times = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        client.get(path).raise_for_status()
        for _ in range(SERVER_REPEATS):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def chart_times(base_url: str, path: str, selector: str) -> list[float]:
    """Seconds from navigation start to the chart's first drawn frame, in fresh tabs."""
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        warm = context.new_page()  # the first load fills the HTTP cache with scripts
        warm.goto(base_url + path)
        warm.wait_for_selector(f"{selector}[data-chart-ready]", timeout=60_000)
        warm.close()
        for _ in range(BROWSER_REPEATS):
            page = context.new_page()
            page.goto(base_url + path)
            element = page.wait_for_selector(f"{selector}[data-chart-ready]", timeout=60_000)
            assert element is not None
            times.append(float(element.get_attribute("data-chart-ready") or "nan") / 1000)
            page.close()
        browser.close()
    return times


def report(label: str, times: list[float], target_s: float) -> None:
    median = statistics.median(times)
    verdict = "met" if median < target_s else "NOT met"
    print(
        f"  {label:<46} median {median * 1000:7.0f} ms  "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})  "
        f"target < {target_s * 1000:.0f} ms: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a scratch Postgres database")
    arguments = parser.parse_args()
    with scratch_database(arguments.postgres) as database_url:
        settings = Settings(database_url=database_url)
        engine = create_db_engine(database_url)
        seed(make_sessionmaker(engine), settings)
        if arguments.postgres:
            # As autovacuum would soon after a bulk load: without statistics the planner walks
            # every processed submission for each config's latest sweep (~0.5 s a page).
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        engine.dispose()
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with (
            tempfile.TemporaryDirectory() as logs,
            tracker_process(
                ["serve", "--host", "127.0.0.1", "--port", str(port)],
                env={"TRACKER_DATABASE_URL": database_url},
                log_path=Path(logs) / "serve.log",
            ),
        ):
            wait_for(lambda: _answers(base_url), 60, "tracker serve")
            backend = "Postgres" if arguments.postgres else "embedded SQLite"
            print(f"\n{backend}, `tracker serve` (one process)")
            (trend_series,) = httpx.get(f"{base_url}/api/v1/series?model={TREND_MODEL}").json()[
                "items"
            ]
            series_id = trend_series["id"]
            trend_path = f"/series/{series_id}?target=35&metric=tput_per_gpu"
            points = len(
                httpx.get(f"{base_url}/api/v1/series/{series_id}/trend?interactivity=35").json()[
                    "points"
                ]
            )
            print(f"trend page, {points} nightly points:")
            report("server: GET " + trend_path, server_times(base_url, trend_path), 0.3)
            report(
                "server: GET /api/v1/series/{id}/trend (same data)",
                server_times(base_url, f"/api/v1/series/{series_id}/trend?interactivity=35"),
                0.3,
            )
            report(
                "browser: to a drawn chart", chart_times(base_url, trend_path, "#trend-chart"), 1.0
            )
            print(f"explorer, {EXPLORER_CONFIGS + 1:,} series:")
            report("server: GET /", server_times(base_url, "/"), 0.3)
            report(
                "server: GET /api/v1/series?limit=1000 (1 page)",
                server_times(base_url, "/api/v1/series?limit=1000"),
                0.3,
            )
            report("browser: to a drawn chart", chart_times(base_url, "/", "#explorer-chart"), 1.0)


def _answers(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
