"""Slack delivery through slack-sdk: the only module that imports `slack_sdk`.

`build_slack_client` makes a `WebClient` with slack-sdk's retry handlers: 429 honouring
`Retry-After`, 500/503 and lost connections with exponential backoff. A lost connection is
retried for a call that creates a message only when the request cannot have reached Slack
(connection refused, name not resolved): otherwise a retry could post a second parent, so
the error surfaces with `outcome_unknown` and the delivery resumes by the metadata check.
`SlackNotifier` implements `alerts.delivery.notifier.Notifier` over such a client.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPException
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter

from alerts.delivery.notifier import (
    PARENT_EVENT_TYPE,
    PART_EVENT_TYPE,
    PermanentDeliveryError,
    ThreadPart,
    TransientDeliveryError,
    file_part_name,
    parent_metadata,
    part_metadata,
)
from alerts.messages.blocks import Message
from alerts.messages.markup import escape_mrkdwn

# How far back `find_parent` looks: the parent of a delivery that died minutes ago is recent.
HISTORY_SCAN_LIMIT = 200
HISTORY_PAGE_SIZE = 100
THREAD_SCAN_LIMIT = 1000
CHART_FILENAME = "frontier-tracker-chart.png"
# Calls that create something: after the request may have reached Slack, retrying can duplicate.
_CREATING_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})
# Slack error codes that a later attempt can get past; every other code needs a person.
_TRANSIENT_ERROR_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def build_slack_client(
    token: str,
    base_url: str | None = None,
    *,
    timeout_s: int = 30,
    backoff_s: float = 0.5,
    max_rate_limit_retries: int = 5,
    max_server_error_retries: int = 4,
    max_connection_retries: int = 3,
) -> WebClient:
    """A WebClient for `token` with retry handlers attached.

    `base_url` is the Web API root (`TRACKER_SLACK_API_URL`, e.g. a local stand-in
    "http://127.0.0.1:8900/api/"); None means Slack itself. Server errors and lost connections
    back off exponentially from `backoff_s` (0.5, 1, 2, 4 s, with jitter); a 429 waits for its
    `Retry-After`.
    """
    if not token:
        raise ValueError("a Slack token is required; without one, use LogNotifier")
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff_s, jitter=_EqualJitter())
    handlers = [
        _SafeConnectionErrorRetryHandler(
            max_retry_count=max_connection_retries, interval_calculator=interval
        ),
        RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries),
        ServerErrorRetryHandler(
            max_retry_count=max_server_error_retries, interval_calculator=interval
        ),
    ]
    if base_url is None:
        return WebClient(token=token, timeout=timeout_s, retry_handlers=handlers)
    root = base_url if base_url.endswith("/") else f"{base_url}/"
    return WebClient(token=token, base_url=root, timeout=timeout_s, retry_handlers=handlers)


class SlackNotifier:
    """The `Notifier` that posts to Slack through a `WebClient` (see `build_slack_client`)."""

    accepts_files = True

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def find_parent(self, *, channel: str, alert_id: int) -> str | None:
        """The ts of the alert's parent among the channel's last 200 messages, found by metadata."""
        cursor: str | None = None
        scanned = 0
        while scanned < HISTORY_SCAN_LIMIT:
            with _delivery_errors("conversations.history"):
                response = self._client.conversations_history(
                    channel=channel,
                    limit=min(HISTORY_PAGE_SIZE, HISTORY_SCAN_LIMIT - scanned),
                    include_all_metadata=True,
                    cursor=cursor,
                )
            messages: list[dict[str, Any]] = response.get("messages") or []
            for message in messages:
                if _is_parent_of(message, alert_id):
                    return str(message["ts"])
            scanned += len(messages)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not messages or cursor is None:
                return None
        return None

    def post_parent(self, *, channel: str, alert_id: int, message: Message) -> str:
        """Post the parent with its `tracker_alert` metadata; returns its ts."""
        with _delivery_errors("chat.postMessage"):
            response = self._client.chat_postMessage(
                channel=channel,
                text=escape_mrkdwn(message["text"]),
                blocks=message["blocks"],
                metadata=parent_metadata(alert_id),
                unfurl_links=False,
                unfurl_media=False,
            )
        return str(response["ts"])

    def update_parent(self, *, channel: str, ts: str, alert_id: int, message: Message) -> None:
        """Replace the parent's text and blocks, keeping its metadata."""
        with _delivery_errors("chat.update"):
            self._client.chat_update(
                channel=channel,
                ts=ts,
                text=escape_mrkdwn(message["text"]),
                blocks=message["blocks"],
                metadata=parent_metadata(alert_id),
            )

    def post_thread(
        self, *, channel: str, thread_ts: str, message: Message, part: ThreadPart | None = None
    ) -> str:
        """Reply in the thread (named by metadata when `part` is given); returns the reply's ts."""
        optional: dict[str, Any] = {} if part is None else {"metadata": part_metadata(part)}
        with _delivery_errors("chat.postMessage"):
            response = self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=escape_mrkdwn(message["text"]),
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
                **optional,
            )
        return str(response["ts"])

    def thread_parts(self, *, channel: str, thread_ts: str) -> frozenset[str]:
        """Names of the replies already in the thread, and `file:<title>` of its files."""
        names: set[str] = set()
        cursor: str | None = None
        scanned = 0
        while scanned < THREAD_SCAN_LIMIT:
            with _delivery_errors("conversations.replies"):
                response = self._client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    limit=HISTORY_PAGE_SIZE,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            messages: list[dict[str, Any]] = response.get("messages") or []
            for message in messages:
                names.update(_part_names(message))
            scanned += len(messages)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not messages or cursor is None:
                break
        return frozenset(names)

    def upload_chart(self, *, channel: str, thread_ts: str, png: bytes, title: str) -> None:
        """Upload the PNG into the thread with `files_upload_v2`."""
        with _delivery_errors("files.completeUploadExternal"):
            self._client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=png,
                filename=CHART_FILENAME,
                title=title,
                alt_txt=title,
            )

    def post_digest(self, *, channel: str, message: Message) -> str:
        """Post a digest; returns its ts."""
        with _delivery_errors("chat.postMessage"):
            response = self._client.chat_postMessage(
                channel=channel,
                text=escape_mrkdwn(message["text"]),
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        return str(response["ts"])


def _is_parent_of(message: dict[str, Any], alert_id: int) -> bool:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != PARENT_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload") or {}
    return str(payload.get("alert_id")) == str(alert_id)


def _part_names(message: dict[str, Any]) -> set[str]:
    names = {
        file_part_name(str(file["title"])) for file in message.get("files") or [] if "title" in file
    }
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") == PART_EVENT_TYPE:
        part = (metadata.get("event_payload") or {}).get("part")
        if part is not None:
            names.add(str(part))
    return names


@contextmanager
def _delivery_errors(method: str) -> Iterator[None]:
    """Turn slack-sdk and network errors into retryable or permanent delivery errors."""
    creates = method in _CREATING_METHODS
    try:
        yield
    except SlackApiError as error:
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        detail = f"{method} failed: HTTP {status}, error {code or 'unknown'}"
        if status == 429 or code in _TRANSIENT_ERROR_CODES:
            raise TransientDeliveryError(detail) from error
        if status >= 500:
            raise TransientDeliveryError(detail, outcome_unknown=creates) from error
        raise PermanentDeliveryError(detail) from error
    except SlackRequestError as error:
        raise TransientDeliveryError(
            f"{method} failed: {error}", outcome_unknown=creates
        ) from error
    except (OSError, HTTPException) as error:
        raise TransientDeliveryError(
            f"{method}: connection lost ({error!r})", outcome_unknown=creates
        ) from error


class _SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """slack-sdk's connection-error retries, minus the ones that could post a message twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        method = urlsplit(request.url).path.rsplit("/", 1)[-1]
        return method not in _CREATING_METHODS or _never_reached_slack(error)


def _never_reached_slack(error: Exception | None) -> bool:
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class _EqualJitter(Jitter):
    """Half the backoff interval fixed, half random (AWS's "equal jitter"), so short test
    intervals stay short where slack-sdk's default adds up to a second."""

    def recalculate(self, duration: float) -> float:
        return duration / 2 + random.uniform(0, duration / 2)  # noqa: S311  (jitter, not a secret)
