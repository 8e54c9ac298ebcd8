"""Reading an alert out of the database into what the message builders take
(`alerts.messages.model`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.bisection.start import current_bisection
from alerts.drift import drift_summary
from alerts.messages.blocks import Message
from alerts.messages.drift import drift_headline, drift_parent, drift_resolution
from alerts.messages.model import (
    AlertChart,
    AlertSummary,
    BisectionSummary,
    ChangeSummary,
    FrontPoint,
    SeriesPoint,
)
from alerts.messages.rank import rank_headline, rank_parent
from alerts.messages.stale import stale_headline, stale_parent, stale_resolution
from alerts.rank import rank_summary
from alerts.relations import related_alerts
from alerts.stale import stale_summary
from tracker import models
from tracker.processing.frontier import pareto_front
from tracker.reads.changes import changes_with_configs
from tracker.reads.pricing import PriceSet, cost_per_mtok
from tracker.reads.trend import track_points
from tracker.vocabulary import AlertKind, AlertState, ChangeState, Metric


def _costs(
    change: models.ChangePoint, config: models.Config, level: float
) -> dict[str, float] | None:
    """Cost per million tokens at a throughput level; only total throughput has a price."""
    if change.metric is not Metric.TPUT_PER_GPU:
        return None
    costs = {
        price_set.value: cost
        for price_set in PriceSet
        if (cost := cost_per_mtok(level, config, price_set)) is not None
    }
    return costs or None


def change_summaries(
    pairs: Iterable[tuple[models.ChangePoint, models.Config]],
) -> tuple[ChangeSummary, ...]:
    return tuple(
        ChangeSummary(
            change_id=change.id,
            series_id=change.config_id,
            config=config.as_dict(),
            metric=change.metric,
            interactivity=change.interactivity,
            direction=change.direction,
            before=change.before,
            after=change.after,
            relative_change=change.relative_change,
            run_timestamp=change.run_timestamp,
            cost_before=_costs(change, config, change.before),
            cost_after=_costs(change, config, change.after),
        )
        for change, config in pairs
    )


def alert_changes(
    session: Session, alert_ids: Sequence[int], *, include_retracted: bool = False
) -> list[tuple[models.ChangePoint, models.Config]]:
    query = (
        changes_with_configs()
        .where(models.ChangePoint.alert_id.in_(alert_ids))
        .order_by(models.ChangePoint.id)
    )
    if not include_retracted:
        query = query.where(models.ChangePoint.state == ChangeState.CONFIRMED)
    return [(change, config) for change, config in session.execute(query).all()]


def alert_summary(*, session: Session, alert: models.Alert, public_url: str | None) -> AlertSummary:
    """The alert with its confirmed changes, relations and the components that moved."""
    pairs = alert_changes(session, [alert.id])
    components: dict[str, tuple[str | None, str | None]] = {}
    for change, _ in pairs:
        for name, (old, new) in change.components_changed.items():
            components.setdefault(name, (old, new))
    return AlertSummary(
        alert_id=alert.id,
        engine=alert.engine,
        state=alert.state,
        commit_from=alert.commit_from,
        commit_to=alert.commit_to,
        compare_url=alert.compare_url,
        range_start=alert.range_start,
        range_end=alert.range_end,
        components_changed=components,
        changes=change_summaries(pairs),
        related=related_alerts(session, [alert.id]).get(alert.id, ()),
        url=f"{public_url.rstrip('/')}/alerts/{alert.id}" if public_url else None,
        bisection=bisection_summary(session, alert.id),
    )


def bisection_summary(session: Session, alert_id: int) -> BisectionSummary | None:
    """The alert's latest bisection as the parent message tells it."""
    bisection = current_bisection(session, alert_id)
    if bisection is None:
        return None
    remaining = bisection.commits[bisection.good_index + 1 : bisection.bad_index + 1]
    culprit = (
        bisection.commits[bisection.culprit_index] if bisection.culprit_index is not None else None
    )
    return BisectionSummary(
        state=bisection.state,
        runs_used=bisection.runs_used,
        max_runs=bisection.max_runs,
        remaining=len(remaining),
        first_remaining=remaining[0]["sha"] if remaining else None,
        last_remaining=remaining[-1]["sha"] if remaining else None,
        culprit=culprit["sha"] if culprit else None,
        culprit_title=culprit["title"] if culprit else None,
        culprit_pull_request=culprit["pull_request"] if culprit else None,
        reason=bisection.reason,
    )


def _front(session: Session, sweep_id: int) -> tuple[FrontPoint, ...]:
    points = session.execute(
        select(models.ResultRow.median_intvty, models.ResultRow.tput_per_gpu).where(
            models.ResultRow.sweep_id == sweep_id
        )
    ).all()
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return tuple(FrontPoint(xs[i], ys[i]) for i in pareto_front(xs, ys))


def alert_chart(*, session: Session, alert: models.Alert) -> AlertChart | None:
    """The chart of the alert's most affected series: its track, the change, both fronts."""
    pairs = [
        (change, config)
        for change, config in alert_changes(session, [alert.id])
        if change.metric is Metric.TPUT_PER_GPU
    ]
    if not pairs:
        return None
    change, config = max(pairs, key=lambda pair: abs(pair[0].relative_change))
    points = track_points(
        session=session,
        config_id=change.config_id,
        metric=change.metric,
        interactivity=change.interactivity,
    )
    label = config.model_prefix or config.model
    return AlertChart(
        title=f"{alert.engine} · {config.hardware.upper()} · {label} {config.precision} "
        f"{config.isl}/{config.osl} — tok/s/GPU at {change.interactivity:g} tok/s/user",
        points=tuple(SeriesPoint(p.timestamp, p.value, p.outlier) for p in points),
        change_timestamp=change.run_timestamp,
        before_level=change.before,
        after_level=change.after,
        front_before=_front(session, change.previous_sweep_id),
        front_after=_front(session, change.sweep_id),
        interactivity=change.interactivity,
    )


@dataclass(frozen=True)
class NoticeMessages:
    """A stale or drift alert's messages: its headline (the alert's `summary`), its parent, and
    the thread reply that says it resolved (None while it is not)."""

    headline: str
    parent: Message
    resolution: Message | None


def notice_messages(
    *, session: Session, alert: models.Alert, public_url: str | None
) -> NoticeMessages:
    """The messages of an alert of a kind that keeps its subject in `details`."""
    resolved = alert.state is AlertState.RESOLVED
    if alert.kind is AlertKind.STALE:
        stale = stale_summary(session=session, alert=alert, public_url=public_url)
        return NoticeMessages(
            stale_headline(stale),
            stale_parent(stale),
            stale_resolution(stale) if resolved else None,
        )
    if alert.kind is AlertKind.DRIFT:
        drift = drift_summary(session=session, alert=alert, public_url=public_url)
        return NoticeMessages(
            drift_headline(drift),
            drift_parent(drift),
            drift_resolution(drift) if resolved else None,
        )
    if alert.kind is AlertKind.RANK:  # news, not a condition: it never resolves
        rank = rank_summary(alert=alert, public_url=public_url)
        return NoticeMessages(rank_headline(rank), rank_parent(rank), None)
    raise ValueError(f"alerts of kind {alert.kind.value} are not notices")
