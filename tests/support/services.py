"""Real processes for end-to-end tests: Celery worker and beat, the API under uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

TRACKER = str(Path(sys.executable).with_name("tracker"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def tracker_process(
    arguments: list[str], env: dict[str, str], log_path: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``tracker <arguments>`` in its own process group, stopped (and its children) on exit."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [TRACKER, *arguments],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def wait_for(
    condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@contextmanager
def tracker_server(env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """`tracker serve` with ``env`` on a free port, answering ``/healthz``; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / "serve.log"
    with tracker_process(["serve", "--port", str(port)], env, log_path, cwd=log_dir) as process:

        def ready() -> bool:
            assert process.poll() is None, log_path.read_text()
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, 30, f"tracker serve to answer /healthz (log in {log_path})")
        yield url
