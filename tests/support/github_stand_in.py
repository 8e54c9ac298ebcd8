"""A local stand-in for the GitHub REST API's few calls the tracker makes, on 127.0.0.1.

`GET /repos/{owner}/{repo}/compare/{base}...{head}` answers the commits after `base` up to `head`
from the repository's history (paginated with `per_page` and `page`, with `total_commits`), and
`POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches` records the dispatch
(204) and hands it to `on_dispatch`, as the engine's CI would start a run. A pull request's
comments are listed (`GET /repos/{owner}/{repo}/issues/{number}/comments`, paginated), created
(`POST` there) and edited (`PATCH /repos/{owner}/{repo}/issues/comments/{id}`); commit statuses
are recorded (`POST /repos/{owner}/{repo}/statuses/{sha}`). Faults are planned per call
(`plan`: "compare", "dispatch", "comments", "create_comment", "edit_comment", "status"); a
created comment can be stored and its answer held (`hold_created_comment`), as when a worker
dies between the call and its mark. Requests without the bearer token are refused (401).
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
_COMMENTS = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_COMMENT = re.compile(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$")
_STATUS = re.compile(r"^/repos/([^/]+/[^/]+)/statuses/([0-9a-fA-F]+)$")


@dataclass
class Comment:
    id: int
    repository: str
    number: int
    body: str
    edits: int = 0


@dataclass(frozen=True)
class Status:
    repository: str
    sha: str
    state: str
    context: str
    description: str
    target_url: str | None


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
        self._comments: list[Comment] = []
        self._statuses: list[Status] = []
        self.comment_calls: list[str] = []  # "create", "edit" in order
        self.comment_held = threading.Event()  # set when a created comment's answer is held
        self._hold_created: threading.Event | None = None

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

    def comments(self, repository: str, number: int) -> list[Comment]:
        with self._lock:
            return [c for c in self._comments if (c.repository, c.number) == (repository, number)]

    def statuses(self, repository: str, sha: str | None = None) -> list[Status]:
        with self._lock:
            return [
                s
                for s in self._statuses
                if s.repository == repository and (sha is None or s.sha == sha)
            ]

    def hold_created_comment(self) -> threading.Event:
        """The next created comment is stored, but its answer waits until the returned event is
        set (or the connection is dropped by a killed client)."""
        release = threading.Event()
        with self._lock:
            self._hold_created = release
        return release

    def _list_comments(self, repository: str, number: int, query: dict[str, Any]) -> Any:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = self.comments(repository, number)[(page - 1) * per_page : page * per_page]
        return 200, [{"id": c.id, "body": c.body} for c in chunk]

    def _create_comment(self, repository: str, number: int, body: dict[str, Any]) -> Any:
        with self._lock:
            comment = Comment(len(self._comments) + 1, repository, number, str(body["body"]))
            self._comments.append(comment)
            self.comment_calls.append("create")
            hold, self._hold_created = self._hold_created, None
        if hold is not None:
            self.comment_held.set()
            hold.wait(60)
        return 201, {"id": comment.id, "body": comment.body}

    def _edit_comment(self, repository: str, comment_id: int, body: dict[str, Any]) -> Any:
        with self._lock:
            found = [c for c in self._comments if (c.repository, c.id) == (repository, comment_id)]
            if not found:
                return 404, {"message": "Not Found"}
            found[0].body = str(body["body"])
            found[0].edits += 1
            self.comment_calls.append("edit")
            return 200, {"id": comment_id, "body": found[0].body}

    def _status(self, repository: str, sha: str, body: dict[str, Any]) -> Any:
        status = Status(
            repository,
            sha,
            str(body["state"]),
            str(body.get("context", "default")),
            str(body.get("description", "")),
            body.get("target_url"),
        )
        with self._lock:
            self._statuses.append(status)
        return 201, {"state": status.state, "context": status.context}

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
        comments = _COMMENTS.match(url.path)
        if comments is not None:
            if (fault := stand_in._fault("comments")) is not None:
                self._answer(fault, {"message": f"planned fault {fault}"})
                return
            repository, number = comments.groups()
            self._answer(*stand_in._list_comments(repository, int(number), parse_qs(url.query)))
            return
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
        path = urlsplit(self.path).path
        match = _DISPATCH.match(path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        comments, status = _COMMENTS.match(path), _STATUS.match(path)
        if comments is not None or status is not None:
            call = "create_comment" if comments is not None else "status"
            if (fault := stand_in._fault(call)) is not None:
                self._answer(fault, {"message": f"planned fault {fault}"})
                return
            if comments is not None:
                repository, number = comments.groups()
                self._answer(*stand_in._create_comment(repository, int(number), body))
            else:
                assert status is not None
                repository, sha = status.groups()
                self._answer(*stand_in._status(repository, sha, body))
            return
        if match is None:
            self._answer(404, {"message": "Not Found"})
            return
        repository, workflow = match.groups()
        self._answer(*stand_in._dispatch(repository, workflow, body))

    def do_PATCH(self) -> None:
        if not self._authorised():
            return
        stand_in: GitHubStandIn = self.server.stand_in
        match = _COMMENT.match(urlsplit(self.path).path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if match is None:
            self._answer(404, {"message": "Not Found"})
            return
        if (fault := stand_in._fault("edit_comment")) is not None:
            self._answer(fault, {"message": f"planned fault {fault}"})
            return
        repository, comment_id = match.groups()
        self._answer(*stand_in._edit_comment(repository, int(comment_id), body))
