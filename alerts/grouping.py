"""Grouping confirmed change points into alerts (docs/alerts.md#grouping).

A change point's commit range is a half-open interval of source timestamps (the last run before
its location interval, the last run of it]: the commits that may have caused it. Change points
of one engine whose ranges intersect with positive length form one alert, so the tracks of one
commit are one alert even when each locates it a night or two apart; ranges that only touch do
not. A change that meets existing alerts joins the one whose range holds its most likely run, else
the earliest; alerts never merge. New groups wait for the settle window, whose clock restarts when
a change joins, up to three windows in all. A group of gains is not an improvement while a
regression of its configs is suspected in its range: the gain may be a trade whose other side is
not confirmed yet. Grouping takes a lock first, so that two workers never group the same changes
twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.messages.rollup import headline
from alerts.records import mark_for_refresh, open_deliveries, set_state
from alerts.relations import link_fixes
from alerts.routing import channels_for
from alerts.summaries import alert_summary
from tracker import models
from tracker.db.locks import lock_alert_grouping
from tracker.settings import SlackRoute
from tracker.vocabulary import AlertKind, AlertState, ChangeDirection, ChangeState

SETTLE_WINDOWS_AT_MOST = 3
_REGRESSION_JOINED = "a regression joined: no longer an improvement"
_REGRESSION_SUSPECTED = "a regression of its configs is suspected in its range"


@dataclass(frozen=True)
class GroupingOutcome:
    created: tuple[int, ...]
    joined: tuple[int, ...]  # alerts that late changes joined
    next_check_in_s: float | None  # when a waiting group settles; None when nothing waits
    bisections_started: tuple[int, ...] = ()  # of new alerts, by `TRACKER_BISECT_AUTOMATIC`


def overlaps(start_a: datetime, end_a: datetime, start_b: datetime, end_b: datetime) -> bool:
    """Whether (start_a, end_a] and (start_b, end_b] share more than a point."""
    return max(start_a, start_b) < min(end_a, end_b)


def group_pending_changes(
    *,
    session: Session,
    settle_seconds: float,
    routes: Sequence[SlackRoute],
    default_channel: str | None,
    public_url: str | None,
    now: datetime,
) -> GroupingOutcome:
    """Attach confirmed changes without an alert to alerts, creating those that settled."""
    lock_alert_grouping(session)
    pending = list(
        session.execute(
            select(models.ChangePoint)
            .where(
                models.ChangePoint.alert_id.is_(None),
                models.ChangePoint.state == ChangeState.CONFIRMED,
            )
            .order_by(
                models.ChangePoint.engine,
                models.ChangePoint.range_start_timestamp,
                models.ChangePoint.id,
            )
        ).scalars()
    )
    joined = _join_existing_alerts(session, pending, now)
    for alert in session.execute(select(models.Alert).where(models.Alert.id.in_(joined))).scalars():
        # The headline tells of all the alert's changes: a late joiner may make it a trade.
        alert.summary = headline(alert_summary(session=session, alert=alert, public_url=public_url))
    waiting = [change for change in pending if change.alert_id is None]
    created, next_check = [], None
    for group in _overlap_groups(waiting):
        first = min(c.detected_at for c in group)
        last = max(c.detected_at for c in group)
        settles_at = min(
            last + timedelta(seconds=settle_seconds),
            first + timedelta(seconds=settle_seconds * SETTLE_WINDOWS_AT_MOST),
        )
        if settles_at > now:
            wait_s = (settles_at - now).total_seconds()
            next_check = wait_s if next_check is None else min(next_check, wait_s)
            continue
        alert = _create_alert(session, group, now)
        configs = session.execute(
            select(models.Config).where(models.Config.id.in_({c.config_id for c in group}))
        ).scalars()
        channels = channels_for([c.as_dict() for c in configs], routes, default_channel)
        open_deliveries(session, alert_id=alert.id, channels=channels, now=now)
        link_fixes(session=session, alert=alert)
        alert.summary = headline(alert_summary(session=session, alert=alert, public_url=public_url))
        created.append(alert.id)
    session.flush()
    return GroupingOutcome(tuple(created), tuple(sorted(joined)), next_check)


def _join_existing_alerts(
    session: Session, pending: list[models.ChangePoint], now: datetime
) -> set[int]:
    """Attach each pending change to the earliest step alert of its engine that its range meets."""
    if not pending:
        return set()
    candidates = session.execute(
        select(models.Alert)
        .where(
            # Only step alerts are made of change points: a stale, drift or rank alert's range
            # (weeks wide) takes none.
            models.Alert.kind == AlertKind.STEP,
            models.Alert.engine.in_({change.engine for change in pending}),
            models.Alert.range_start < max(change.range_end_timestamp for change in pending),
            models.Alert.range_end > min(change.range_start_timestamp for change in pending),
        )
        .order_by(models.Alert.created_at, models.Alert.id)
    ).scalars()
    alerts_by_engine: dict[str, list[models.Alert]] = defaultdict(list)
    for alert in candidates:
        alerts_by_engine[alert.engine].append(alert)
    joined: set[int] = set()
    for change in pending:
        met = [
            candidate
            for candidate in alerts_by_engine[change.engine]
            if overlaps(
                candidate.range_start,
                candidate.range_end,
                change.range_start_timestamp,
                change.range_end_timestamp,
            )
        ]
        if not met:
            continue
        # The alert of its most likely commit: an uncertain location's wide range may also meet
        # an alert of the commit before.
        match = next(
            (a for a in met if a.range_start < change.run_timestamp <= a.range_end), met[0]
        )
        change.alert_id = match.id
        match.range_start = min(match.range_start, change.range_start_timestamp)
        match.range_end = max(match.range_end, change.range_end_timestamp)
        match.updated_at = now
        joined.add(match.id)
        if match.state is not AlertState.IMPROVEMENT:
            continue
        if change.direction is ChangeDirection.REGRESSION:
            # A gain the commit paid for elsewhere (a trade, or a mixed commit): triage it.
            set_state(session, match, AlertState.UNTRIAGED, now=now, note=_REGRESSION_JOINED)
        elif _regression_suspected(
            session,
            config_ids={change.config_id},
            after=match.range_start,
            through=match.range_end,
        ):
            set_state(session, match, AlertState.UNTRIAGED, now=now, note=_REGRESSION_SUSPECTED)
    mark_for_refresh(session, sorted(joined))  # late joiners: thread reply and parent edit
    return joined


def _overlap_groups(changes: list[models.ChangePoint]) -> list[list[models.ChangePoint]]:
    """Per engine, the connected runs of intervals that intersect with positive length."""
    by_engine: dict[str, list[models.ChangePoint]] = defaultdict(list)
    for change in changes:
        by_engine[change.engine].append(change)
    groups: list[list[models.ChangePoint]] = []
    for engine_changes in by_engine.values():
        engine_changes.sort(key=lambda c: (c.range_start_timestamp, c.range_end_timestamp, c.id))
        current: list[models.ChangePoint] = []
        current_end: datetime | None = None
        for change in engine_changes:
            if current_end is not None and change.range_start_timestamp < current_end:
                current.append(change)
                current_end = max(current_end, change.range_end_timestamp)
            else:
                if current:
                    groups.append(current)
                current, current_end = [change], change.range_end_timestamp
        if current:
            groups.append(current)
    return groups


def _create_alert(session: Session, group: list[models.ChangePoint], now: datetime) -> models.Alert:
    earliest = min(group, key=lambda c: (c.range_start_timestamp, c.id))
    latest = max(group, key=lambda c: (c.range_end_timestamp, c.id))
    all_gains = all(c.direction is ChangeDirection.GAIN for c in group)
    improvement = all_gains and not _regression_suspected(
        session,
        config_ids={c.config_id for c in group},
        after=earliest.range_start_timestamp,
        through=latest.range_end_timestamp,
    )
    state = AlertState.IMPROVEMENT if improvement else AlertState.UNTRIAGED
    note = "alert created"
    if all_gains and not improvement:
        note += f"; {_REGRESSION_SUSPECTED}"
    alert = models.Alert(
        engine=earliest.engine,
        state=state,
        range_start=earliest.range_start_timestamp,
        range_end=latest.range_end_timestamp,
        commit_from=earliest.commit_from,
        commit_to=latest.commit_to,
        compare_url=_compare_url(earliest, latest),
        summary="",
        created_at=now,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    for change in group:
        change.alert_id = alert.id
    set_state(session, alert, state, now=now, note=note)
    return alert


def _regression_suspected(
    session: Session, *, config_ids: set[int], after: datetime, through: datetime
) -> bool:
    """Whether a track of the configs has a suspected regression whose most likely run is in
    (after, through]."""
    for suspected in session.execute(
        select(models.Track.suspected).where(models.Track.config_id.in_(config_ids))
    ).scalars():
        for point in suspected:
            if point["direction"] != ChangeDirection.REGRESSION.value:
                continue
            if after < datetime.fromisoformat(point["timestamp"]) <= through:
                return True
    return False


def _compare_url(earliest: models.ChangePoint, latest: models.ChangePoint) -> str | None:
    """The compare link over the whole range: the repository of the newest change's link."""
    if not (latest.compare_url and earliest.commit_from and latest.commit_to):
        return None
    repository = latest.compare_url.split("/compare/")[0]
    return f"{repository}/compare/{earliest.commit_from}...{latest.commit_to}"
