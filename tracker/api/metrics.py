"""Prometheus metrics: request counts and latencies, and the stored record's size by state."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.vocabulary import SubmissionStatus


@dataclass(frozen=True)
class ApiMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    submissions: Gauge
    series: Gauge


def create_metrics() -> ApiMetrics:
    """A registry per app, so that several apps in one process (tests) do not collide."""
    registry = CollectorRegistry()
    return ApiMetrics(
        registry=registry,
        requests=Counter(
            "tracker_http_requests_total",
            "HTTP requests by route and status code.",
            ["method", "route", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "tracker_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            registry=registry,
        ),
        submissions=Gauge(
            "tracker_submissions", "Stored submissions by status.", ["status"], registry=registry
        ),
        series=Gauge("tracker_series", "Configs (series) known.", registry=registry),
    )


def install_request_metrics(app: FastAPI, metrics: ApiMetrics) -> None:
    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(request.method, path).observe(time.perf_counter() - started)
        return response


def render_metrics(metrics: ApiMetrics, session: Session) -> tuple[bytes, str]:
    """The exposition text, with the database gauges read now."""
    counts = dict(
        session.execute(
            select(models.Submission.status, func.count()).group_by(models.Submission.status)
        ).all()
    )
    for status in SubmissionStatus:
        metrics.submissions.labels(status.value).set(counts.get(status, 0))
    metrics.series.set(session.scalar(select(func.count()).select_from(models.Config)) or 0)
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST
