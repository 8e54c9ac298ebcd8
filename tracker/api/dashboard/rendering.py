"""The Jinja2 environment of the dashboard: templates, filters, and page data embedded as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from alerts.messages import dimensions, formatting, metrics
from tracker import jsonio
from tracker.vocabulary import Metric

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _json_dumps(document: Any, **_: Any) -> str:
    return jsonio.dumps(document)


def when(moment: datetime | None) -> str:
    """A run's time as the pages show it: "2026-06-01 03:00 UTC"."""
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def date_only(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d}"


def optional(formatter: Any) -> Any:
    """``formatter`` that shows a missing value as a dash instead of failing."""

    def format_or_dash(value: Any) -> str:
        return "—" if value is None else str(formatter(value))

    return format_or_dash


def metric_value(value: float | None, metric: str) -> str:
    """A value of `metric` as the alerts write it ("1,843", "91 ms", "3.71 J"), or a dash."""
    return "—" if value is None else metrics.value(Metric(metric), value)


def web_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) address, else None: links come from submitted data, and a
    ``javascript:`` address must never become one."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def query_url(path: str, params: Mapping[str, Any], **changes: Any) -> str:
    """``path`` with the query ``params`` updated by ``changes``; blank values are dropped so
    that shared URLs hold only the state that matters."""
    merged = {**params, **changes}
    kept = {name: value for name, value in merged.items() if value not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.policies["json.dumps_function"] = _json_dumps
    environment.policies["json.dumps_kwargs"] = {}
    environment.filters.update(
        {
            "when": when,
            "web_link": web_link,
            "date_only": date_only,
            "percent": optional(formatting.signed_percent),
            "throughput": optional(formatting.throughput),
            "metric_value": metric_value,
            "usd": optional(formatting.usd),
            "interactivity": formatting.interactivity,
            "short_commit": optional(formatting.short_commit),
            "series_label": dimensions.series_label,
            "parallelism": dimensions.parallelism,
            "sequence_lengths": dimensions.sequence_lengths,
            "model_name": dimensions.model,
        }
    )
    environment.globals["query_url"] = query_url
    return environment


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """``template`` rendered with ``context``; every page also sees the request."""
    response: HTMLResponse = templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    return response
