"""The production shape for a benchmark: a scratch Postgres database, a flushed Redis database,
`tracker serve` and `tracker worker` processes, and a submit token."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from tests.conftest import REDIS_URL, ScratchDatabases, make_token
from tests.support.services import free_port, tracker_process, wait_for
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.vocabulary import TokenScope


@dataclass(frozen=True)
class Stack:
    url: str  # the API's base URL
    token: str  # a submit-scope bearer token
    database_url: str
    logs: Path  # api.log and worker.log


def api_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running_stack(
    *,
    name: str,
    redis_db: int,
    api_workers: int = 1,
    worker_concurrency: int = 1,
    environment: dict[str, str] | None = None,
    database: str | None = None,
    keep_database: bool = False,
) -> Iterator[Stack]:
    """Everything up and answering; stopped and the database dropped on exit, unless it is kept
    (``keep_database``) or was given: ``database`` names an existing one, migrated to head first."""
    databases = ScratchDatabases()
    broker_url = f"{REDIS_URL}/{redis_db}"
    try:
        database_url = databases.existing(database) if database else databases.create()
        redis.Redis.from_url(broker_url).flushdb()
        engine = create_db_engine(database_url)
        token = make_token(make_sessionmaker(engine), TokenScope.SUBMIT)
        engine.dispose()
        env = {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_BROKER_URL": broker_url,
            **(environment or {}),
        }
        url = f"http://127.0.0.1:{free_port()}"
        logs = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        serve = ["serve", "--port", url.rsplit(":", 1)[1], "--workers", str(api_workers)]
        work = ["worker", "--concurrency", str(worker_concurrency)]
        with (
            tracker_process(serve, env, logs / "api.log", cwd=logs),
            tracker_process(work, env, logs / "worker.log", cwd=logs),
        ):
            wait_for(lambda: api_answers(url), 60, f"the API (logs in {logs})")
            yield Stack(url=url, token=token, database_url=database_url, logs=logs)
    finally:
        if not keep_database and database is None:
            databases.drop_all()
