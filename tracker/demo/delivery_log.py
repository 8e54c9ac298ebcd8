"""What the demo's deliveries wrote to the log (there is no Slack token), kept so that the
summary can show one alert and one digest as a person finds them there."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

NOTIFIER_LOGGER = "alerts.delivery.notifier"
"""`LogNotifier`'s logger: each record is one message, ``(what, ts, text)`` in its arguments."""
RECORD_FORMAT = "%(levelname)s %(name)s %(message)s"


@dataclass(frozen=True)
class LoggedMessage:
    what: str
    """As the notifier names it: "alert #54 parent in log", "reply in thread log-7 of log"."""
    ts: str
    lines: tuple[str, ...]
    """The record as the log shows it: a header line, then the message's text."""


class DeliveryLog(logging.Handler):
    """The notifier's records, in order."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.setFormatter(logging.Formatter(RECORD_FORMAT))
        self.messages: list[LoggedMessage] = []

    def emit(self, record: logging.LogRecord) -> None:
        arguments = record.args if isinstance(record.args, tuple) else ()
        what, ts = (str(arguments[0]), str(arguments[1])) if len(arguments) >= 2 else ("", "")
        self.messages.append(LoggedMessage(what, ts, tuple(self.format(record).splitlines())))

    @classmethod
    @contextmanager
    def capturing(cls) -> Iterator[DeliveryLog]:
        """Keep what the notifier logs at INFO while the block runs."""
        handler = cls()
        logger = logging.getLogger(NOTIFIER_LOGGER)
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield handler
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)

    def alert(self, alert_id: int) -> list[LoggedMessage]:
        """An alert's parent and its thread as first posted, then the parent's edits."""
        parents = [
            index
            for index, message in enumerate(self.messages)
            if message.what.startswith(f"alert #{alert_id} parent ")
        ]
        if not parents:
            return []
        return [*self._with_thread(parents[0]), *(self.messages[i] for i in parents[1:])]

    def digest(self) -> list[LoggedMessage]:
        """The last digest and its thread."""
        digests = [i for i, m in enumerate(self.messages) if m.what.startswith("digest in ")]
        return self._with_thread(digests[-1]) if digests else []

    def _with_thread(self, index: int) -> list[LoggedMessage]:
        """The message at ``index`` and the replies logged right after it: the demo delivers
        one message at a time (synthetic ts restart with each notifier, so they cannot tell)."""
        first = self.messages[index]
        thread = f"reply in thread {first.ts} "
        replies = []
        for message in self.messages[index + 1 :]:
            if not message.what.startswith(thread):
                break
            replies.append(message)
        return [first, *replies]
