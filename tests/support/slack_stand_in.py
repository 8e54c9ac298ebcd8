"""A local server that speaks enough of the Slack Web API for the real slack-sdk.

    with SlackStandIn() as slack:
        client = build_slack_client("xoxb-test", slack.base_url)
        slack.plan("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=1)
        ...
        assert [m.text for m in slack.messages("C0ALERTS")] == [...]

Methods: auth.test, chat.postMessage, chat.update, conversations.history,
conversations.replies, files.getUploadURLExternal, the upload URL it hands out, and
files.completeUploadExternal (the flow of `files_upload_v2`). Bodies may be JSON or form
data (slack-sdk sends both; `blocks`, `metadata` and `files` then arrive as JSON strings).
Faults are planned per method — an HTTP status with headers (429 with Retry-After, 500),
a Slack error code, or dropping the connection after recording the call (a crash between
send and mark) — or for every n-th call of any method (`fault_every`). Standard library
only; binds 127.0.0.1 on an ephemeral port.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.local_server import LocalServer

TRUTHY = {"1", "true", "True", True}


@dataclass
class RecordedMessage:
    """A message as the stand-in stored it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0
    recorded_at: float = field(default_factory=time.perf_counter)  # for latency measurements

    @property
    def is_parent(self) -> bool:
        """A top-level message (what conversations.history lists)."""
        return self.thread_ts is None or self.thread_ts == self.ts

    def as_slack(self, *, with_metadata: bool) -> dict[str, Any]:
        """The message as the Web API returns it."""
        optional = {
            "thread_ts": self.thread_ts,
            "files": self.files or None,
            "metadata": self.metadata if with_metadata else None,
        }
        return {
            "type": "message",
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
            "bot_id": "B0STANDIN",
            **{name: value for name, value in optional.items() if value is not None},
        }


@dataclass(frozen=True)
class RecordedCall:
    """One HTTP request to a Web API method, faulted or not."""

    method: str
    params: dict[str, Any]


@dataclass
class _Plan:
    status: int
    headers: dict[str, str]
    error: str | None
    drop_connection: bool
    times: int
    delay_after_recording_s: float = 0.0


class SlackStandIn(LocalServer):
    """The Slack Web API on 127.0.0.1, recording what it is sent. A context manager."""

    def __init__(self, *, token: str | None = None) -> None:
        super().__init__(_Handler)
        self.token = token
        self._lock = threading.Lock()
        self._messages: list[RecordedMessage] = []
        self._calls: list[RecordedCall] = []
        self._plans: dict[str, deque[_Plan]] = defaultdict(deque)
        self._uploads: dict[str, bytes] = {}
        self._pending_files: dict[str, dict[str, Any]] = {}
        self._sequence = itertools.count(1)
        self._periodic_faults: list[tuple[int, int, dict[str, str]]] = []

    @property
    def base_url(self) -> str:
        """The Web API root to give slack-sdk (`TRACKER_SLACK_API_URL`)."""
        return f"{self.root_url}/api/"

    def plan(
        self,
        method: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        error: str | None = None,
        times: int = 1,
        drop_connection_after_recording: bool = False,
        delay_after_recording_s: float = 0.0,
    ) -> None:
        """Answer the next `times` calls of `method` differently.

        `status` other than 200 answers with that status (and `headers`) without handling the
        call; `error` answers 200 `{"ok": false, "error": error}`; with
        `drop_connection_after_recording` the call is handled and recorded, then the
        connection is closed without an answer; `delay_after_recording_s` holds the answer back
        after recording (time for a test to kill the caller).
        """
        with self._lock:
            self._plans[method].append(
                _Plan(
                    status,
                    dict(headers or {}),
                    error,
                    drop_connection_after_recording,
                    times,
                    delay_after_recording_s,
                )
            )

    def fault_every(
        self, every: int, *, status: int, headers: dict[str, str] | None = None
    ) -> None:
        """Answer every ``every``-th call (of any method, counted from the first) with ``status``
        and ``headers``, unhandled; the first fault planned this way wins where two fall due."""
        with self._lock:
            self._periodic_faults.append((every, status, dict(headers or {})))

    def _periodic_fault(self) -> tuple[int, dict[str, str]] | None:
        with self._lock:
            number = len(self._calls)
            for every, status, headers in self._periodic_faults:
                if number % every == 0:
                    return status, headers
        return None

    def messages(self, channel: str | None = None) -> list[RecordedMessage]:
        """Every recorded message (thread replies included), oldest first."""
        with self._lock:
            return [m for m in self._messages if channel is None or m.channel == channel]

    def parents(self, channel: str) -> list[RecordedMessage]:
        """Top-level messages of a channel, oldest first."""
        return [message for message in self.messages(channel) if message.is_parent]

    def replies(self, channel: str, thread_ts: str) -> list[RecordedMessage]:
        """Replies in a thread (the parent excluded), oldest first."""
        return [
            message
            for message in self.messages(channel)
            if message.thread_ts == thread_ts and message.ts != thread_ts
        ]

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Requests received, faulted ones included, oldest first."""
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def uploaded(self, file_id: str) -> bytes:
        """The bytes uploaded for a file."""
        with self._lock:
            return self._uploads[file_id]

    def _next_plan(self, method: str) -> _Plan | None:
        with self._lock:
            queue = self._plans.get(method)
            if not queue:
                return None
            plan = queue[0]
            plan.times -= 1
            if plan.times <= 0:
                queue.popleft()
            return plan

    def _record_call(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(RecordedCall(method, params))

    def _new_ts(self) -> str:
        number = next(self._sequence)
        return f"{1_700_000_000 + number}.{number:06d}"

    def _handle(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(self, params)

    def _store_upload(self, file_id: str, content: bytes) -> bool:
        with self._lock:
            if file_id not in self._pending_files:
                return False
            self._uploads[file_id] = content
            return True

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        identity = {"team_id": "T0STANDIN", "user_id": "U0STANDIN", "bot_id": "B0STANDIN"}
        return {"ok": True, "url": f"{self.root_url}/", "team": "Stand-in", **identity}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        thread_ts = params.get("thread_ts") or None
        with self._lock:
            if thread_ts is not None and not any(
                m.channel == channel and m.ts == thread_ts for m in self._messages
            ):
                return {"ok": False, "error": "thread_not_found"}
            message = RecordedMessage(
                channel=channel,
                ts=self._new_ts(),
                text=str(params.get("text") or ""),
                blocks=list(params.get("blocks") or []),
                thread_ts=thread_ts,
                metadata=params.get("metadata") or None,
            )
            self._messages.append(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": message.as_slack(with_metadata=True),
        }

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for message in self._messages:
                if message.channel == params.get("channel") and message.ts == params.get("ts"):
                    message.text = str(params.get("text") or "")
                    message.blocks = list(params.get("blocks") or [])
                    if params.get("metadata"):
                        message.metadata = params["metadata"]
                    message.edits += 1
                    return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        with_metadata = params.get("include_all_metadata") in TRUTHY
        newest_first = list(reversed(self.parents(str(params.get("channel")))))
        return self._page(newest_first, params, with_metadata=with_metadata)

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        with_metadata = params.get("include_all_metadata") in TRUTHY
        thread = [m for m in self.messages(channel) if ts in (m.ts, m.thread_ts)]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(thread, params, with_metadata=with_metadata)

    @staticmethod
    def _page(
        messages: list[RecordedMessage], params: dict[str, Any], *, with_metadata: bool
    ) -> dict[str, Any]:
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        return {
            "ok": True,
            "messages": [message.as_slack(with_metadata=with_metadata) for message in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._sequence):08d}"
        pending = {"id": file_id, "name": params["filename"], "size": int(params["length"])}
        with self._lock:
            self._pending_files[file_id] = pending
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.root_url}/upload/{file_id}"}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        completed = []
        with self._lock:
            for item in params.get("files") or []:
                pending = self._pending_files.get(item.get("id"))
                if pending is None or item["id"] not in self._uploads:
                    return {"ok": False, "error": "file_not_found"}
                completed.append({**pending, "title": item.get("title") or pending["name"]})
            if params.get("channel_id"):  # shared into the channel, or the thread
                shared = RecordedMessage(
                    channel=params["channel_id"],
                    ts=self._new_ts(),
                    text=str(params.get("initial_comment") or ""),
                    blocks=[],
                    thread_ts=params.get("thread_ts") or None,
                    files=completed,
                )
                self._messages.append(shared)
        return {"ok": True, "files": completed}


_METHODS = {
    "auth.test": SlackStandIn._auth_test,
    "chat.postMessage": SlackStandIn._post_message,
    "chat.update": SlackStandIn._update,
    "conversations.history": SlackStandIn._history,
    "conversations.replies": SlackStandIn._replies,
    "files.getUploadURLExternal": SlackStandIn._get_upload_url,
    "files.completeUploadExternal": SlackStandIn._complete_upload,
}
# Form fields that carry JSON (slack-sdk encodes them as strings in form bodies).
_JSON_FIELDS = {"blocks", "metadata", "files", "attachments"}


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded calls instead."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    @property
    def _stand_in(self) -> SlackStandIn:
        return self.server.stand_in  # type: ignore[attr-defined,no-any-return]

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/upload/"):
            stored = self._stand_in._store_upload(url.path.removeprefix("/upload/"), body)
            self._answer(
                200 if stored else 404, f"OK - {len(body)}" if stored else "unknown upload"
            )
            return
        if not url.path.startswith("/api/"):
            self._answer(404, {"ok": False, "error": "not_found"})
            return
        method = url.path.removeprefix("/api/")
        params = dict(parse_qsl(url.query))
        params.update(self._body_params(body))
        stand_in = self._stand_in
        stand_in._record_call(method, params)
        periodic = stand_in._periodic_fault()
        if periodic is not None:
            status, headers = periodic
            self._answer(status, {"ok": False, "error": "planned_fault"}, headers)
            return
        plan = stand_in._next_plan(method)
        if plan is not None and plan.status != 200:
            self._answer(plan.status, {"ok": False, "error": "planned_fault"}, plan.headers)
            return
        if plan is not None and plan.error is not None:
            self._answer(200, {"ok": False, "error": plan.error}, plan.headers)
            return
        auth_error = self._auth_error()
        answer = (
            {"ok": False, "error": auth_error} if auth_error else stand_in._handle(method, params)
        )
        if plan is not None and plan.delay_after_recording_s:
            time.sleep(plan.delay_after_recording_s)
        if plan is not None and plan.drop_connection:
            self.close_connection = True  # recorded; the client never hears back
            return
        self._answer(200, answer)

    def _auth_error(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not token:
            return "not_authed"
        expected = self._stand_in.token
        return "invalid_auth" if expected is not None and token != expected else None

    def _body_params(self, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == "application/json":
            parsed = json.loads(body)
            return dict(parsed) if isinstance(parsed, dict) else {}
        params: dict[str, Any] = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for name in _JSON_FIELDS & params.keys():
            params[name] = json.loads(params[name]) if params[name] else None
        return params

    def _answer(
        self, status: int, payload: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        is_json = isinstance(payload, dict)
        encoded = (json.dumps(payload) if is_json else str(payload)).encode("utf-8")
        self.send_response(status)
        content_type = "application/json" if is_json else "text/plain"
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(encoded)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(encoded)
