"""Alert jobs as transaction boundaries, shared by the Celery tasks and the embedded thread."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.bisection.advance import AdvancePass, CommitHost, advance_bisections
from alerts.bisection.start import BisectConfiguration, start_bisection
from alerts.delivery.notifier import DeliveryError, Notifier
from alerts.delivery.outbox import DeliveryPass, build_notifier, run_deliveries
from alerts.delivery.post import deliver_digest
from alerts.delivery.pull_requests import ReportPass, run_pull_request_reports
from alerts.digests import build_digest
from alerts.drift import group_drifts
from alerts.grouping import GroupingOutcome, group_pending_changes
from alerts.lifecycle import sync_alert_states
from alerts.rank import check_rank_flips
from alerts.routing import LOG_CHANNEL
from alerts.stale import StaleOutcome, check_stale_configs
from tracker import models
from tracker.clock import utc_now
from tracker.configs.normalise import normalise_framework
from tracker.db.engine import transaction
from tracker.errors import Conflict
from tracker.github.client import GitHubClient
from tracker.reads.verdicts import VerdictOptions
from tracker.settings import Settings
from tracker.vocabulary import AlertState, DeliveryStatus

log = logging.getLogger(__name__)

DIGEST_HOUR_UTC = 8


def run_alert_grouping(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> GroupingOutcome:
    """Group settled changes into alerts and keep existing alerts true to their changes."""
    with transaction(session_factory) as session:
        now = utc_now()
        outcome = group_pending_changes(
            session=session,
            settle_seconds=settings.alert_settle_seconds,
            routes=settings.slack_routes,
            default_channel=settings.slack_channel,
            public_url=settings.public_url,
            now=now,
        )
        sync_alert_states(session=session, now=now)
        drift = group_drifts(
            session=session,
            routes=settings.slack_routes,
            default_channel=settings.slack_channel,
            now=now,
        )
        started = _start_automatic_bisections(session, settings, outcome.created, now)
    return replace(
        outcome,
        created=outcome.created + drift.created,
        joined=tuple(sorted({*outcome.joined, *drift.joined, *drift.resolved})),
        bisections_started=started,
    )


def run_stale_check(*, session_factory: sessionmaker[Session], settings: Settings) -> StaleOutcome:
    """Alert on configs that stopped reporting, and resolve those whose data returned."""
    with transaction(session_factory) as session:
        return check_stale_configs(
            session=session,
            stale_after_runs=settings.stale_after_runs,
            routes=settings.slack_routes,
            default_channel=settings.slack_channel,
            public_url=settings.public_url,
            now=utc_now(),
        )


def run_rank_check(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> tuple[int, ...]:
    """Alert on changes of leader that held for `TRACKER_CONFIRM_RUNS` days; the alerts made."""
    with transaction(session_factory) as session:
        return check_rank_flips(
            session=session,
            confirm_runs=settings.confirm_runs,
            routes=settings.slack_routes,
            default_channel=settings.slack_channel,
            now=utc_now(),
        )


def bisect_configuration(settings: Settings) -> BisectConfiguration:
    return BisectConfiguration(
        github_token_set=settings.github_token is not None,
        workflows=settings.bisect_workflows,
        max_runs=settings.bisect_max_runs,
    )


def _start_automatic_bisections(
    session: Session, settings: Settings, alert_ids: Sequence[int], now: datetime
) -> tuple[int, ...]:
    """Bisect the new regression alerts of the engines that ask for it."""
    automatic = {normalise_framework(engine) for engine in settings.bisect_automatic}
    started = []
    for alert_id in alert_ids:
        alert = session.get(models.Alert, alert_id)
        if alert is None or alert.engine not in automatic:
            continue
        if alert.state is not AlertState.UNTRIAGED:  # improvements need no culprit
            continue
        try:
            bisection = start_bisection(
                session=session,
                alert_id=alert_id,
                configuration=bisect_configuration(settings),
                who="tracker",
                now=now,
            )
        except Conflict as error:
            log.warning("alert %s is not bisected: %s", alert_id, error)
            continue
        started.append(bisection.id)
    return tuple(started)


def run_alert_deliveries(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    notifier: Notifier | None = None,
) -> DeliveryPass:
    return run_deliveries(
        session_factory=session_factory,
        notifier=notifier or build_notifier(settings),
        public_url=settings.public_url,
        now=utc_now,
    )


@contextmanager
def github_client(settings: Settings) -> Iterator[GitHubClient | None]:
    """A GitHub client with the configured token, closed after; None without a token."""
    if settings.github_token is None:
        yield None
        return
    client = GitHubClient(
        token=settings.github_token.get_secret_value(), base_url=settings.github_api_url
    )
    try:
        yield client
    finally:
        client.close()


def run_pull_request_report_pass(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> ReportPass:
    """Report due pull requests on GitHub (nothing without a GitHub token)."""
    with github_client(settings) as client:
        if client is None:
            return ReportPass()
        return run_pull_request_reports(
            session_factory=session_factory,
            client=client,
            options=VerdictOptions.from_settings(settings),
            public_url=settings.public_url,
            now=utc_now,
        )


@dataclass(frozen=True)
class DigestKind:
    name: str
    days: int
    title: str


WEEKLY = DigestKind("weekly", 7, "Week over week")
MONTHLY = DigestKind("monthly", 30, "Month over month")


def due_period_end(kind: DigestKind, now: datetime) -> datetime:
    """The latest scheduled digest time at or before ``now``: Mondays (weekly) or the first of
    the month (monthly), at 08:00 UTC."""
    today = now.astimezone(UTC).replace(hour=DIGEST_HOUR_UTC, minute=0, second=0, microsecond=0)
    if kind is WEEKLY:
        candidate = today - timedelta(days=today.weekday())
        return candidate if candidate <= now else candidate - timedelta(days=7)
    candidate = today.replace(day=1)
    if candidate <= now:
        return candidate
    previous_month = (candidate - timedelta(days=1)).replace(day=1)
    return previous_month


def post_due_digests(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    notifier: Notifier | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Post each digest whose period ended and was not posted yet; returns the kinds posted."""
    notifier = notifier or build_notifier(settings)
    moment = now or utc_now()
    channel = settings.digest_channel or LOG_CHANNEL
    posted = []
    for kind in (WEEKLY, MONTHLY):
        period_end = due_period_end(kind, moment)
        if not _claim_digest(session_factory, kind, period_end, channel):
            continue
        with session_factory() as session:
            digest = build_digest(session=session, days=kind.days, now=period_end, title=kind.title)
        try:
            ts = deliver_digest(notifier, channel=channel, digest=digest)
        except DeliveryError as error:
            log.warning("the %s digest was not posted: %s", kind.name, error)
            _finish_digest(session_factory, kind, period_end, channel, None, str(error))
            continue
        _finish_digest(session_factory, kind, period_end, channel, ts, None)
        posted.append(kind.name)
    return posted


def _claim_digest(
    session_factory: sessionmaker[Session], kind: DigestKind, period_end: datetime, channel: str
) -> bool:
    """Take the period's row (unique per kind, period and channel): one poster wins; a period
    whose earlier attempt failed is taken again."""
    try:
        with transaction(session_factory) as session:
            session.add(
                models.DigestPost(
                    kind=kind.name,
                    period_end=period_end,
                    channel=channel,
                    status=DeliveryStatus.SENDING,
                    ts=None,
                    posted_at=None,
                    last_error=None,
                )
            )
        return True
    except IntegrityError:
        pass
    with transaction(session_factory) as session:
        retried = session.execute(
            update(models.DigestPost)
            .where(
                models.DigestPost.kind == kind.name,
                models.DigestPost.period_end == period_end,
                models.DigestPost.channel == channel,
                models.DigestPost.status == DeliveryStatus.FAILED,
            )
            .values(status=DeliveryStatus.SENDING)
        )
        return bool(retried.rowcount)  # type: ignore[attr-defined]


def _finish_digest(
    session_factory: sessionmaker[Session],
    kind: DigestKind,
    period_end: datetime,
    channel: str,
    ts: str | None,
    error: str | None,
) -> None:
    with transaction(session_factory) as session:
        row = session.execute(
            select(models.DigestPost).where(
                models.DigestPost.kind == kind.name,
                models.DigestPost.period_end == period_end,
                models.DigestPost.channel == channel,
            )
        ).scalar_one()
        row.status = DeliveryStatus.SENT if ts else DeliveryStatus.FAILED
        row.ts = ts
        row.posted_at = utc_now() if ts else None
        row.last_error = error


def run_bisection_advance(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    host: CommitHost | None = None,
) -> AdvancePass:
    """Move every running bisection forward (nothing without a GitHub token)."""
    if host is None:
        with github_client(settings) as client:
            if client is None:
                return AdvancePass()
            return run_bisection_advance(
                session_factory=session_factory, settings=settings, host=client
            )
    return advance_bisections(
        session_factory=session_factory,
        host=host,
        now=utc_now,
        retry_first_s=settings.bisect_retry_seconds,
        max_failed_fraction=settings.max_failed_request_fraction,
    )
