"""A local stand-in for the GitHub REST API's few calls the tracker makes, on 127.0.0.1.

`GET /repos/{owner}/{repo}/compare/{base}...{head}` answers the commits after `base` up to `head`
from the repository's history (paginated with `per_page` and `page`, with `total_commits`), and
`POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches` records the dispatch
(204) and hands it to `on_dispatch`, as the engine's CI would start a run. Faults are planned
per call (`plan`). Requests without the bearer token are refused (401).
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.local_server import LocalServer

_COMPARE = re.compile(r"^/repos/([^/]+/[^/]+)/compare/([^/.]+)\.\.\.([^/.]+)$")
_DISPATCH = re.compile(r"^/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/dispatches$")


@dataclass(frozen=True)
class Dispatch:
    repository: str
    workflow: str
    ref: str
    inputs: dict[str, str]


class GitHubStandIn(LocalServer):
    """GitHub's REST API on an ephemeral port, as a context manager."""

    def __init__(self, *, token: str) -> None:
        super().__init__(_Handler)
        self.token = token
        self.histories: dict[str, list[tuple[str, str]]] = {}  # repository → (sha, message)
        self.on_dispatch: Callable[[Dispatch], None] | None = None
        self._lock = threading.Lock()
        self._dispatches: list[Dispatch] = []
        self._refused: list[Dispatch] = []
        self._faults: dict[str, deque[int]] = defaultdict(deque)

    @property
    def base_url(self) -> str:
        return self.root_url

    def plan(self, call: str, *, status: int, times: int = 1) -> None:
        """The next ``times`` calls of ``call`` ("compare" or "dispatch") answer ``status``."""
        with self._lock:
            self._faults[call].extend([status] * times)

    def dispatches(self) -> list[Dispatch]:
        """Dispatches that were accepted (204), in order."""
        with self._lock:
            return list(self._dispatches)

    def refused(self) -> list[Dispatch]:
        """Dispatches answered with a planned fault."""
        with self._lock:
            return list(self._refused)

    def _fault(self, call: str) -> int | None:
        with self._lock:
            faults = self._faults[call]
            return faults.popleft() if faults else None

    def _compare(self, repository: str, base: str, head: str, query: dict[str, Any]) -> Any:
        history = self.histories.get(repository)
        if history is None:
            return 404, {"message": "Not Found"}
        shas = [sha for sha, _ in history]
        if base not in shas or head not in shas:
            return 404, {"message": "No common ancestor between base and head."}
        between = history[shas.index(base) + 1 : shas.index(head) + 1]
        per_page = int(query.get("per_page", ["250"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = between[(page - 1) * per_page : page * per_page]
        return 200, {
            "total_commits": len(between),
            "commits": [{"sha": sha, "commit": {"message": message}} for sha, message in chunk],
        }

    def _dispatch(self, repository: str, workflow: str, body: dict[str, Any]) -> Any:
        dispatch = Dispatch(
            repository=repository,
            workflow=workflow,
            ref=str(body.get("ref")),
            inputs={str(k): str(v) for k, v in body.get("inputs", {}).items()},
        )
        status = self._fault("dispatch")
        if status is not None:
            with self._lock:
                self._refused.append(dispatch)
            return status, {"message": f"planned fault {status}"}
        with self._lock:
            self._dispatches.append(dispatch)
        if self.on_dispatch is not None:
            threading.Thread(target=self.on_dispatch, args=(dispatch,), daemon=True).start()
        return 204, None


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _authorised(self) -> bool:
        stand_in: GitHubStandIn = self.server.stand_in
        if self.headers.get("Authorization") == f"Bearer {stand_in.token}":
            return True
        self._answer(401, {"message": "Bad credentials"})
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        stand_in: GitHubStandIn = self.server.stand_in
        url = urlsplit(self.path)
        match = _COMPARE.match(url.path)
        if match is None:
            self._answer(404, {"message": "Not Found"})
            return
        fault = stand_in._fault("compare")
        if fault is not None:
            self._answer(fault, {"message": f"planned fault {fault}"})
            return
        repository, base, head = match.groups()
        self._answer(*stand_in._compare(repository, base, head, parse_qs(url.query)))

    def do_POST(self) -> None:
        if not self._authorised():
            return
        stand_in: GitHubStandIn = self.server.stand_in
        match = _DISPATCH.match(urlsplit(self.path).path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if match is None:
            self._answer(404, {"message": "Not Found"})
            return
        repository, workflow = match.groups()
        self._answer(*stand_in._dispatch(repository, workflow, body))
