"""The error answers operations document: status, envelope and headers, written once."""

from __future__ import annotations

from typing import Any

from tracker.api.schemas import ErrorMessage, InvalidInput

RETRY_AFTER_SECONDS = 5
"""What a 503 asks a client to wait before trying again."""

_DESCRIPTIONS = {
    401: "No bearer token, or one the tracker does not know.",
    403: "The token lacks the scope this operation needs.",
    404: "The object in the path does not exist.",
    409: "Conflicts with what is stored (the description above says when).",
    413: "The body is larger than TRACKER_MAX_SUBMISSION_BYTES.",
    422: "Invalid input: every bad field is named (types, bounds, text the database cannot store).",
    503: "The database cannot be reached: try again after Retry-After seconds (a repeated "
    "submission is answered once, by its run key).",
}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation for these error statuses."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        answer: dict[str, Any] = {
            "model": InvalidInput if status == 422 else ErrorMessage,
            "description": _DESCRIPTIONS[status],
        }
        if status == 503:
            answer["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
        if status == 401:
            answer["headers"] = {
                "WWW-Authenticate": {"description": "Bearer.", "schema": {"type": "string"}}
            }
        documented[status] = answer
    return documented


READ = answers(401, 422, 503)
"""Any read: 401 only when TRACKER_PUBLIC_READS=false."""
READ_ONE = answers(401, 404, 422, 503)
"""A read of one object named in the path."""
WRITE_ONE = answers(401, 403, 404, 422, 503)
"""A write to one object named in the path (a token with a scope)."""
