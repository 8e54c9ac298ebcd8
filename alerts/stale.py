"""Stale configs: configs that stopped reporting while their engine goes on (docs/alerts.md#stale).

Each config's expected cadence is the median gap between its last `CADENCE_RUNS` runs. A config
is stale once its engine's newest run is `stale_after_runs - 1/2` gaps past the config's last
run (the half gap absorbs a night's jitter): the config missed that many expected runs while its
engine kept posting. Time is read from the data, not the clock, so an engine that paused
entirely is never stale, and a replayed history gives the same alerts. Stale configs of one
engine whose last runs fall on the same day form one alert; it resolves itself when every one
of them reported again. A stale alert triaged `expected` retires its configs: never again.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.messages.model import StaleConfig, StaleSummary
from alerts.messages.stale import stale_headline
from alerts.records import mark_for_refresh, open_notice, resolve
from alerts.routing import channels_for
from tracker import models
from tracker.reads.series import configs_by_id
from tracker.settings import SlackRoute
from tracker.vocabulary import AlertKind, AlertState, SubmissionPurpose

CADENCE_RUNS = 10
"""Recent runs whose gaps give a config's expected cadence."""

MIN_GAPS = 3
"""A cadence is learned from three gaps at least; a newer config is never stale."""


@dataclass(frozen=True)
class Reporting:
    """A config's recent runs, newest first, and its engine."""

    config_id: int
    engine: str
    runs: tuple[datetime, ...]

    @property
    def expected_gap_s(self) -> float | None:
        gaps = [(a - b).total_seconds() for a, b in zip(self.runs, self.runs[1:], strict=False)]
        gaps = [gap for gap in gaps if gap > 0]
        return statistics.median(gaps) if len(gaps) >= MIN_GAPS else None


@dataclass(frozen=True)
class StaleOutcome:
    created: tuple[int, ...]
    joined: tuple[int, ...]
    resolved: tuple[int, ...]


def recent_runs(session: Session) -> list[Reporting]:
    """Every config's last `CADENCE_RUNS` history runs (bisection runs left out)."""
    ranked = (
        select(
            models.Sweep.config_id,
            models.SourceRun.engine,
            models.Sweep.timestamp,
            func.row_number()
            .over(partition_by=models.Sweep.config_id, order_by=models.Sweep.timestamp.desc())
            .label("rank"),
        )
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(models.SourceRun.purpose == SubmissionPurpose.HISTORY)
        .subquery()
    )
    runs: dict[int, list[datetime]] = defaultdict(list)
    engines: dict[int, str] = {}
    for config_id, engine, timestamp in session.execute(
        select(ranked.c.config_id, ranked.c.engine, ranked.c.timestamp)
        .where(ranked.c.rank <= CADENCE_RUNS)
        .order_by(ranked.c.config_id, ranked.c.rank)
    ):
        runs[config_id].append(timestamp)
        engines.setdefault(config_id, engine)
    return [Reporting(config_id, engines[config_id], tuple(runs[config_id])) for config_id in runs]


def engines_latest(reporting: Sequence[Reporting]) -> dict[str, datetime]:
    """Each engine's newest run: the moment its configs are judged at."""
    latest: dict[str, datetime] = {}
    for config in reporting:
        latest[config.engine] = max(latest.get(config.engine, config.runs[0]), config.runs[0])
    return latest


def stale_configs(reporting: Sequence[Reporting], *, stale_after_runs: int) -> list[Reporting]:
    """The configs whose engine's newest run is past `stale_after_runs` of their expected runs."""
    engine_latest = engines_latest(reporting)
    stale = []
    for config in reporting:
        gap = config.expected_gap_s
        if gap is None:
            continue
        silent_s = (engine_latest[config.engine] - config.runs[0]).total_seconds()
        if silent_s >= (stale_after_runs - 0.5) * gap:
            stale.append(config)
    return stale


def check_stale_configs(
    *,
    session: Session,
    stale_after_runs: int,
    routes: Sequence[SlackRoute],
    default_channel: str | None,
    public_url: str | None,
    now: datetime,
) -> StaleOutcome:
    """Resolve stale alerts whose configs all reported again, and alert on newly stale configs.

    Never commits.
    """
    reporting = recent_runs(session)
    newest = {config.config_id: config.runs[0] for config in reporting}
    engine_latest = engines_latest(reporting)
    alerts = list(
        session.execute(
            select(models.Alert)
            .where(models.Alert.kind == AlertKind.STALE)
            .order_by(models.Alert.id)
        ).scalars()
    )
    retired = {
        config_id
        for alert in alerts
        if alert.state is AlertState.EXPECTED
        for config_id in alert.details["config_ids"]
    }
    open_alerts = [a for a in alerts if a.state not in (AlertState.RESOLVED, AlertState.EXPECTED)]
    resolved, joined = [], []
    watched: set[int] = set()
    for alert in open_alerts:
        last_runs = alert.details["last_runs"]
        back = sorted(
            int(config_id)
            for config_id, last in last_runs.items()
            if newest.get(int(config_id)) is not None
            and newest[int(config_id)] > datetime.fromisoformat(last)
        )
        if back != alert.details.get("returned_ids", []):
            alert.details = {**alert.details, "returned_ids": back}
            alert.updated_at = now
            mark_for_refresh(session, [alert.id])
        if len(back) == len(last_runs):
            resolve(session, alert, now=now, note="every config reported again")
            resolved.append(alert.id)
        else:
            watched.update(int(config_id) for config_id in last_runs)

    candidates = [
        config
        for config in stale_configs(reporting, stale_after_runs=stale_after_runs)
        if config.config_id not in retired and config.config_id not in watched
    ]
    groups: dict[tuple[str, str], list[Reporting]] = defaultdict(list)
    for config in candidates:
        groups[(config.engine, f"{config.runs[0]:%Y-%m-%d}")].append(config)
    created = []
    for (engine, day), group in sorted(groups.items()):
        existing = next(
            (
                alert
                for alert in open_alerts
                if alert.engine == engine
                and alert.details["stopped_after"] == day
                and alert.id not in resolved
            ),
            None,
        )
        if existing is not None:
            _add_configs(existing, group, now)
            joined.append(existing.id)
            continue
        details = _details(group, day=day, engine_latest=engine_latest[engine])
        configs = configs_by_id(session, [c.config_id for c in group])
        alert = open_notice(
            session,
            kind=AlertKind.STALE,
            engine=engine,
            range_start=min(c.runs[0] for c in group),
            range_end=engine_latest[engine],
            summary="",
            details=details,
            channels=channels_for([c.as_dict() for c in configs.values()], routes, default_channel),
            now=now,
        )
        alert.summary = stale_headline(stale_summary(session=session, alert=alert, public_url=None))
        created.append(alert.id)
    mark_for_refresh(session, joined)
    session.flush()
    return StaleOutcome(tuple(created), tuple(joined), tuple(resolved))


def _details(group: Sequence[Reporting], *, day: str, engine_latest: datetime) -> dict[str, object]:
    gaps = [gap for config in group if (gap := config.expected_gap_s) is not None]
    return {
        "stopped_after": day,
        "config_ids": sorted(config.config_id for config in group),
        "last_runs": {str(config.config_id): config.runs[0].isoformat() for config in group},
        "expected_gap_s": statistics.median(gaps),
        "engine_latest": engine_latest.isoformat(),
        "returned_ids": [],
    }


def _add_configs(alert: models.Alert, group: Sequence[Reporting], now: datetime) -> None:
    last_runs = {**alert.details["last_runs"]}
    last_runs.update({str(config.config_id): config.runs[0].isoformat() for config in group})
    alert.details = {
        **alert.details,
        "config_ids": sorted(int(config_id) for config_id in last_runs),
        "last_runs": last_runs,
    }
    alert.updated_at = now


def stale_summary(*, session: Session, alert: models.Alert, public_url: str | None) -> StaleSummary:
    """The stale alert as its messages tell it."""
    details = alert.details
    configs = configs_by_id(session, details["config_ids"])
    returned = set(details.get("returned_ids", []))
    return StaleSummary(
        alert_id=alert.id,
        engine=alert.engine,
        state=alert.state,
        stopped_after=max(datetime.fromisoformat(last) for last in details["last_runs"].values()),
        expected_gap_s=float(details["expected_gap_s"]),
        engine_latest=datetime.fromisoformat(details["engine_latest"]),
        configs=tuple(
            StaleConfig(
                series_id=config_id,
                config=configs[config_id].as_dict(),
                last_run=datetime.fromisoformat(details["last_runs"][str(config_id)]),
                returned=config_id in returned,
            )
            for config_id in details["config_ids"]
        ),
        url=f"{public_url.rstrip('/')}/alerts/{alert.id}" if public_url else None,
    )
