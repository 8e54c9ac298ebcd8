"""Where messages go: the `Notifier` protocol, its errors, and `LogNotifier`.

`SlackNotifier` (in `alerts.delivery.slack`) posts to Slack; `LogNotifier` is used when there is no
Slack token and writes the same words to the log. Settings choose one; the delivery
functions (`alerts.delivery.post`) only see the protocol.

Parents carry message metadata `{"event_type": "tracker_alert", "event_payload":
{"alert_id": …}}` (docs/alerts.md) so that a delivery whose outcome is unknown can find its parent
in the channel's history instead of posting a second one. Thread replies carry
`tracker_alert_part` metadata naming the part, so a resumed delivery skips what is there.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from alerts.messages.blocks import Message

PARENT_EVENT_TYPE = "tracker_alert"
PART_EVENT_TYPE = "tracker_alert_part"


class DeliveryError(Exception):
    """A message could not be delivered. `retryable` says whether trying later can help."""

    retryable: ClassVar[bool] = False


class TransientDeliveryError(DeliveryError):
    """Rate limits, server errors or a lost connection that outlasted the client's retries.

    `outcome_unknown` is true when the message may have been posted anyway (the connection
    dropped after the request was sent): deliver again with `resume=True`.
    """

    retryable: ClassVar[bool] = True

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class PermanentDeliveryError(DeliveryError):
    """Slack refused the request for a reason retrying cannot fix (unknown channel, bad token,
    invalid blocks); a person has to act."""


@dataclass(frozen=True)
class ThreadPart:
    """Names a thread reply of an alert so that a resumed delivery can tell it was posted."""

    alert_id: int
    name: str


def parent_metadata(alert_id: int) -> dict[str, Any]:
    """The message metadata of an alert's parent (docs/alerts.md)."""
    return {"event_type": PARENT_EVENT_TYPE, "event_payload": {"alert_id": alert_id}}


def part_metadata(part: ThreadPart) -> dict[str, Any]:
    """The message metadata of a named thread reply."""
    return {
        "event_type": PART_EVENT_TYPE,
        "event_payload": {"alert_id": part.alert_id, "part": part.name},
    }


def file_part_name(title: str) -> str:
    """The part name under which an uploaded file is found in a thread (files carry no metadata)."""
    return f"file:{title}"


class Notifier(Protocol):
    """Delivery of alert and digest messages to one chat system."""

    accepts_files: bool
    """Whether `upload_chart` shows the image to anyone (the chart is rendered only then)."""

    def find_parent(self, *, channel: str, alert_id: int) -> str | None:
        """The ts of the alert's parent in the channel's recent history, if it is there."""
        ...

    def post_parent(self, *, channel: str, alert_id: int, message: Message) -> str:
        """Post an alert's parent with its metadata; returns its ts."""
        ...

    def update_parent(self, *, channel: str, ts: str, alert_id: int, message: Message) -> None:
        """Replace the parent's text and blocks (its metadata is kept)."""
        ...

    def post_thread(
        self, *, channel: str, thread_ts: str, message: Message, part: ThreadPart | None = None
    ) -> str:
        """Reply in a thread, naming the reply when `part` is given; returns the reply's ts."""
        ...

    def thread_parts(self, *, channel: str, thread_ts: str) -> frozenset[str]:
        """Names of the parts already in a thread: named replies and `file:<title>` uploads."""
        ...

    def upload_chart(self, *, channel: str, thread_ts: str, png: bytes, title: str) -> None:
        """Upload a PNG into a thread."""
        ...

    def post_digest(self, *, channel: str, message: Message) -> str:
        """Post a digest to the channel; returns its ts."""
        ...


class LogNotifier:
    """Delivery without a Slack token: the fallback text goes to the log, ids are synthetic
    (random, so that they never repeat across notifiers and passes).

    Parents and parts are remembered in this process only, so `find_parent` and
    `thread_parts` answer for what this instance logged.
    """

    accepts_files = False

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self._parents: dict[tuple[str, int], str] = {}
        self._parts: dict[tuple[str, str], set[str]] = defaultdict(set)

    def find_parent(self, *, channel: str, alert_id: int) -> str | None:
        """The synthetic ts this notifier gave the alert's parent in `channel`, if any."""
        with self._lock:
            return self._parents.get((channel, alert_id))

    def post_parent(self, *, channel: str, alert_id: int, message: Message) -> str:
        """Log the parent; returns a synthetic ts."""
        ts = self._log(f"alert #{alert_id} parent in {channel}", message)
        with self._lock:
            self._parents[(channel, alert_id)] = ts
        return ts

    def update_parent(self, *, channel: str, ts: str, alert_id: int, message: Message) -> None:
        """Log the edited parent."""
        self._log(f"alert #{alert_id} parent {ts} in {channel} edited", message)

    def post_thread(
        self, *, channel: str, thread_ts: str, message: Message, part: ThreadPart | None = None
    ) -> str:
        """Log a thread reply; returns a synthetic ts."""
        ts = self._log(f"reply in thread {thread_ts} of {channel}", message)
        if part is not None:
            with self._lock:
                self._parts[(channel, thread_ts)].add(part.name)
        return ts

    def thread_parts(self, *, channel: str, thread_ts: str) -> frozenset[str]:
        """The parts this notifier logged in the thread."""
        with self._lock:
            return frozenset(self._parts.get((channel, thread_ts), ()))

    def upload_chart(self, *, channel: str, thread_ts: str, png: bytes, title: str) -> None:
        """Log that a chart would have been uploaded (its bytes are not logged)."""
        self._logger.info(
            "Slack (no token): chart %r, %d bytes PNG, in thread %s of %s",
            title,
            len(png),
            thread_ts,
            channel,
        )
        with self._lock:
            self._parts[(channel, thread_ts)].add(file_part_name(title))

    def post_digest(self, *, channel: str, message: Message) -> str:
        """Log the digest; returns a synthetic ts."""
        return self._log(f"digest in {channel}", message)

    def _log(self, what: str, message: Message) -> str:
        ts = f"log-{uuid.uuid4().hex[:12]}"
        self._logger.info("Slack (no token): %s, ts %s:\n%s", what, ts, message["text"])
        return ts
