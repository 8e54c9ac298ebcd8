"""Services a fault test owns, to stop and start as an outage would: a Postgres cluster of its own
(Debian's `pg_createcluster`, trust on loopback) and a Redis server of its own, on given ports."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis


def _postgres_version() -> str:
    """The major version of the installed Postgres clusters (Debian's `pg_lsclusters`)."""
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    return listing.stdout.split()[0]


def _wait_until(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class OwnPostgres:
    """A cluster on ``port``; `stop` is an outage (fast shutdown: connections are cut)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.name = f"tracker_test_{port}_{uuid.uuid4().hex[:6]}"
        self.version = _postgres_version()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_cluster(self) -> None:
        subprocess.run(
            [
                *("pg_createcluster", self.version, self.name, "-p", str(self.port)),
                *("--start", "--", "--auth=trust"),
            ],
            check=True,
            capture_output=True,
        )
        _wait_until(self.accepts, 30, f"Postgres on {self.port}")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def accepts(self) -> bool:
        try:
            with psycopg.connect(self.admin_url, connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def _control(self, action: str, *options: str) -> None:
        subprocess.run(
            [
                *("pg_ctlcluster", "--skip-systemctl-redirect", *options),
                *(self.version, self.name, action),
            ],
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        self._control("stop", "-m", "fast")

    def start(self) -> None:
        self._control("start")
        _wait_until(self.accepts, 30, f"Postgres on {self.port} to start")

    def restart(self) -> None:
        self._control("restart", "-m", "fast")
        _wait_until(self.accepts, 30, f"Postgres on {self.port} to restart")

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", self.version, self.name, "--stop"],
            check=False,
            capture_output=True,
        )


@contextmanager
def own_postgres(port: int) -> Iterator[OwnPostgres]:
    """A cluster of the test's own on ``port``, dropped afterwards; skipped where Debian's
    cluster tools are missing."""
    if shutil.which("pg_createcluster") is None:
        pytest.skip("pg_createcluster (Debian's postgresql-common) is not installed")
    cluster = OwnPostgres(port)
    cluster.create_cluster()
    try:
        yield cluster
    finally:
        cluster.drop()


class OwnRedis:
    """``redis-server`` on ``port``, no persistence; `stop` kills it, `start` runs it again."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    *("redis-server", "--bind", "127.0.0.1", "--port", str(self.port)),
                    *("--save", "", "--appendonly", "no"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until(self.answers, 10, f"Redis on {self.port}")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None


@contextmanager
def own_redis(port: int, log_dir: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(port, log_dir / f"redis-{port}.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
