"""A stand-in's HTTP server: loopback, an ephemeral port, a daemon thread; a context manager."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalServer:
    """Serves ``handler_class``; its handlers reach the stand-in as ``self.server.stand_in``."""

    def __init__(self, handler_class: type[BaseHTTPRequestHandler]) -> None:
        self._handler_class = handler_class
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class)
        server.daemon_threads = True
        server.stand_in = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll interval makes `stop` (shutdown) quick between tests.
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def root_url(self) -> str:
        """http://127.0.0.1:PORT"""
        assert self._server is not None, "the stand-in is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"
