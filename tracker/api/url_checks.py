"""Refuses, before any route reads it, a URL whose path or query string holds text the database
cannot store (`tracker.storable`), or a query parameter given more than once (a route reads one
value, so the others would be dropped unseen): a 422 naming the parameter."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from tracker.api.errors import invalid_input
from tracker.storable import TYPE, unstorable_reason


class UrlChecks:
    """ASGI middleware; the text rule's URL half (JSON bodies are checked where they are read)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problems = _url_problems(scope)
            if problems:
                await invalid_input(problems)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _url_problems(scope: Scope) -> list[dict[str, object]]:
    problems: list[dict[str, object]] = []
    reason = unstorable_reason(scope["path"])
    if reason is not None:
        problems.append({"loc": ["path"], "msg": reason, "type": TYPE})
    seen: set[str] = set()
    for name, value in QueryParams(scope["query_string"]).multi_items():
        reason = unstorable_reason(name) or unstorable_reason(value)
        if reason is not None:
            problems.append({"loc": ["query", name], "msg": reason, "type": TYPE})
        elif name in seen:
            message = f"{name} is given more than once; give it once"
            problems.append({"loc": ["query", name], "msg": message, "type": "repeated"})
        seen.add(name)
    return problems
