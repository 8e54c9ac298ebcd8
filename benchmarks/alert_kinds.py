"""Stale, drift, rank and latency alerts on the simulated history, and what they cost.

The simulated history (`tracker.demo.simulation`, DEMO scale: 63 configs over 180 nights) is
drawn with `alert_kind_events` planted events of each kind besides its usual ones: configs of an
engine that stop reporting while the engine goes on (one in four never come back), configs that
slide in four regressions of 1.6–2.0 % a week apart, engines that pause entirely for five
nights, rank flips (one engine's best config steps 5–12 % past another's at a target
interactivity on one GPU and slice, and holds), single-night flips (the leader's bad night) and
latency regressions (median and p99 TTFT +10–45 %, every second one with a throughput gain of
4–8 % on the same commit: a trade). The history is processed night by night, in this process,
into two scratch Postgres databases through the real code: one with drift assessed (today's
branch) and one without (the processing this branch started from), submission by submission
interleaved, so both see the same machine load. After each night the first database runs alert
grouping (step and drift alerts, settle window 0), the stale check and the rank check, as beat
would at least once a night.

Figures:
- stale: planted events found (an alert of the engine naming at least one of the event's configs,
  made while they are away), delay in nights after the first missed run, events split over
  several alerts, events resolved on the night their configs came back, and false stale alerts
  (naming no config that was away three nights or more; engine pauses included);
- drift: planted events found (a drift alert naming the config, made before three weeks after
  its last step), delay after the night the slide passed the threshold, events also reported as
  step regressions, drift alerts on configs with another true regression in the 35 nights before
  (a real slide the steps left unexplained), and false drift alerts (naming no config that truly
  regressed);
- rank: planted flips that hold found (a rank alert of the slice at the planted target naming
  the new and the old leader, within 10 nights), delay in nights after the flip, single-night
  flips alerted (each one a false alert), and the rank alerts that match a flip of the noise-free
  truth (each config's frontier value without noise: its median value over the nights divided
  by its true level, times the true level; the rank check's own daily leaders, a change of
  leader that holds `confirm_runs` days being a flip) or none (false);
- latency: planted TTFT regressions found (a confirmed median or p99 TTFT regression of the
  config within a night of the event, in a step alert), delay, trades said as trades (the
  alert is the trade, or its message has a trade line naming the config) and never marked
  improvement, and false latency alerts (step alerts whose latency
  changes match no planted latency event);
- cost: processing time per submission with drift assessed against without (median and mean,
  target ≤ 1.5×), and the stale check's, the rank check's and grouping's time per night.

    python -m benchmarks.alert_kinds                  # DEMO scale, 24 events of each kind
    python -m benchmarks.alert_kinds --nights 90 --events 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.jobs import run_alert_grouping, run_rank_check, run_stale_check
from alerts.messages import rollup
from alerts.messages.model import ChangeSummary
from alerts.rank import held_leads
from alerts.rank_standings import ENGINES_ON_A_GPU, GPUS_UNDER_AN_ENGINE, Days, daily_best
from alerts.summaries import alert_summary
from tests.conftest import ScratchDatabases
from tests.support.stored import store_bodies
from tracker import models
from tracker.clock import utc_now
from tracker.db.engine import create_db_engine, make_sessionmaker, transaction
from tracker.demo.simulation import (
    DEMO,
    ConfigKey,
    History,
    TrueLatency,
    TrueRankFlip,
    generate_history,
)
from tracker.pipeline.jobs import processing_options
from tracker.processing import submissions
from tracker.settings import Settings
from tracker.vocabulary import AlertKind, AlertState, ChangeDirection, ChangeState, Metric

DRIFT_THRESHOLD = 0.05
DRIFT_LATE_NIGHTS = 21
COST_TARGET = 1.5
RANK_LATE_NIGHTS = 10
RANK_DAY_SLACK = 2  # nights between an alerted flip's first day and the truth's
LATENCY_METRICS = (Metric.MEDIAN_TTFT, Metric.P99_TTFT)


@dataclass
class Tracker:
    """One scratch database and how its submissions are processed."""

    factory: sessionmaker[Session]
    settings: Settings
    assess_drift: bool
    seconds: list[float] = field(default_factory=list)

    def process(self, submission_id: int) -> None:
        options = processing_options(self.settings)
        if not self.assess_drift:
            options = replace(options, drift=None)
        started = time.perf_counter()
        with transaction(self.factory) as session:
            submissions.process_submission(
                session=session, submission_id=submission_id, options=options, now=utc_now()
            )
        self.seconds.append(time.perf_counter() - started)


@dataclass
class Seen:
    """Each alert the night it first appeared and the night it was resolved; the rows of the
    kinds other than `step`, and the step alerts ever marked improvement."""

    created: dict[int, int] = field(default_factory=dict)
    resolved: dict[int, int] = field(default_factory=dict)
    rows: dict[int, models.Alert] = field(default_factory=dict)
    ever_improvement: set[int] = field(default_factory=set)


def config_keys(factory: sessionmaker[Session]) -> dict[int, ConfigKey]:
    with factory() as session:
        return {
            config.id: ConfigKey.from_config(config.as_dict())
            for config in session.execute(select(models.Config)).scalars()
        }


def look(factory: sessionmaker[Session], seen: Seen, night: int) -> None:
    with factory() as session:
        for alert_id, state in session.execute(
            select(models.Alert.id, models.Alert.state).where(models.Alert.kind == AlertKind.STEP)
        ):
            seen.created.setdefault(alert_id, night)
            if state is AlertState.IMPROVEMENT:
                seen.ever_improvement.add(alert_id)
        for alert in session.execute(
            select(models.Alert).where(models.Alert.kind != AlertKind.STEP)
        ).scalars():
            seen.created.setdefault(alert.id, night)
            if alert.state is AlertState.RESOLVED:
                seen.resolved.setdefault(alert.id, night)
            session.expunge(alert)
            seen.rows[alert.id] = alert


def alert_configs(alert: models.Alert, keys: dict[int, ConfigKey]) -> set[ConfigKey]:
    if alert.kind in (AlertKind.STALE, AlertKind.RANK):
        return {keys[i] for i in alert.details["config_ids"] if i in keys}
    return {keys[t["series_id"]] for t in alert.details["tracks"] if t["series_id"] in keys}


def away_runs(history: History) -> list[tuple[ConfigKey, int, int]]:
    """(config, first missing night, nights away) of every config absence while its engine ran."""
    missing: dict[ConfigKey, set[int]] = defaultdict(set)
    for run in history.missing:
        if run.config is not None:
            missing[run.config].add(run.night)
    runs = []
    for key, nights in missing.items():
        ordered = sorted(nights)
        start = previous = ordered[0]
        for night in [*ordered[1:], None]:
            if night is not None and night == previous + 1:
                previous = night
                continue
            runs.append((key, start, previous - start + 1))
            if night is not None:
                start = previous = night
    return runs


def judge_stale(history: History, seen: Seen, keys: dict[int, ConfigKey]) -> dict[str, Any]:
    alerts = {i: a for i, a in seen.rows.items() if a.kind is AlertKind.STALE}
    found, delays, split, resolved_on_time, resolvable = 0, [], 0, 0, 0
    matched: set[int] = set()
    for event in history.stale_events:
        end = event.returns_night if event.returns_night is not None else len(history.nights)
        hits = [
            i
            for i, alert in alerts.items()
            if alert.engine == event.engine
            and alert_configs(alert, keys) & set(event.configs)
            and event.night <= seen.created[i] <= end
        ]
        matched.update(hits)
        if not hits:
            continue
        found += 1
        delays.append(min(seen.created[i] for i in hits) - event.night)
        split += len(hits) > 1
        if event.returns_night is not None:
            resolvable += 1
            resolved_on_time += all(seen.resolved.get(i) == event.returns_night for i in hits)
    long_absences = {
        (key, night)
        for key, start, length in away_runs(history)
        if length >= 3
        for night in range(start, start + length + 1)
    }
    false = [
        i
        for i, alert in alerts.items()
        if i not in matched
        and not any((key, seen.created[i]) in long_absences for key in alert_configs(alert, keys))
    ]
    return {
        "false_alerts": [(seen.created[i], alerts[i].summary) for i in false],
        "events": len(history.stale_events),
        "found": found,
        "delays": delays,
        "split": split,
        "resolvable": resolvable,
        "resolved_on_return": resolved_on_time,
        "alerts": len(alerts),
        "false": len(false),
    }


def judge_drift(
    history: History, seen: Seen, keys: dict[int, ConfigKey], steps: dict[ConfigKey, list[int]]
) -> dict[str, Any]:
    alerts = {i: a for i, a in seen.rows.items() if a.kind is AlertKind.DRIFT}
    found, delays, as_steps = 0, [], 0
    sliding: set[ConfigKey] = set()
    for event in history.drift_events:
        sliding.add(event.config)
        last_step = event.night + 7 * (len(event.relative_changes) - 1)
        total, passed = 1.0, None
        for position, relative in enumerate(event.relative_changes):
            total *= 1 + relative
            if passed is None and total - 1 < -DRIFT_THRESHOLD:
                passed = event.night + 7 * position
        hits = [
            i
            for i, alert in alerts.items()
            if event.config in alert_configs(alert, keys)
            and event.night <= seen.created[i] <= last_step + DRIFT_LATE_NIGHTS
        ]
        if any(event.night - 3 <= night <= last_step + 3 for night in steps.get(event.config, [])):
            as_steps += 1
        if not hits:
            continue
        found += 1
        delays.append(min(seen.created[i] for i in hits) - (passed or last_step))
    unplanted = [i for i, alert in alerts.items() if not alert_configs(alert, keys) & sliding]
    # A drift alert on a config that really regressed (a planted step of another kind, within the
    # window before the alert) tells of a true slide the step alerts left unexplained.
    other_true = [
        i
        for i in unplanted
        if any(
            change.relative_change < 0 and seen.created[i] - 35 <= change.night <= seen.created[i]
            for key in alert_configs(alerts[i], keys)
            for change in history.changes_of(key)
        )
    ]
    false = [i for i in unplanted if i not in other_true]
    return {
        "on_other_regressions": len(other_true),
        "events": len(history.drift_events),
        "found": found,
        "delays": delays,
        "reported_as_steps": as_steps,
        "alerts": len(alerts),
        "false": len(false),
        "false_alerts": [(seen.created[i], alerts[i].summary) for i in false],
    }


def regression_nights(
    factory: sessionmaker[Session], history: History, keys: dict[int, ConfigKey]
) -> dict[ConfigKey, list[int]]:
    """The nights of each config's confirmed regressions (any track)."""
    first = history.nights[0].timestamp
    found: dict[ConfigKey, list[int]] = defaultdict(list)
    with factory() as session:
        for config_id, moment in session.execute(
            select(models.ChangePoint.config_id, models.ChangePoint.run_timestamp).where(
                models.ChangePoint.state == ChangeState.CONFIRMED,
                models.ChangePoint.direction == ChangeDirection.REGRESSION,
            )
        ):
            if config_id in keys:
                found[keys[config_id]].append(round((moment - first).total_seconds() / 86400))
    return found


def night_of(history: History, moment: datetime) -> int:
    return (moment.date() - history.nights[0].timestamp.date()).days


class FlipKey(NamedTuple):
    """One change of leader: the rank check's slice, ranking and target, its first night."""

    mode: str
    place: tuple[object, ...]
    ranking: str
    target: float
    night: int
    new: str
    old: str


def true_flips(
    factory: sessionmaker[Session], history: History, keys: dict[int, ConfigKey], confirm_runs: int
) -> set[FlipKey]:
    """(mode, slice, ranking, target, first night, new leader, old leader) of every flip the
    noise-free frontier values make: a change of leader that holds `confirm_runs` contested days
    (without noise there is nothing to test)."""
    with factory() as session:
        configs = {config.id: config for config in session.execute(select(models.Config)).scalars()}
        rows = session.execute(
            select(
                models.FrontierValue.config_id,
                models.FrontierValue.interactivity,
                models.FrontierValue.value,
                models.FrontierValue.timestamp,
            ).where(models.FrontierValue.metric == Metric.TPUT_PER_GPU)
        ).all()
        session.expunge_all()
    ratios: dict[tuple[int, float], list[float]] = defaultdict(list)
    for config_id, target, value, moment in rows:
        ratios[(config_id, target)].append(
            value / history.true_levels[keys[config_id]][night_of(history, moment)]
        )
    baseline = {key: statistics.median(values) for key, values in ratios.items()}
    truth = [
        (
            configs[config_id],
            target,
            baseline[(config_id, target)]
            * history.true_levels[keys[config_id]][night_of(history, moment)],
            moment,
        )
        for config_id, target, _, moment in rows
    ]
    first = history.nights[0].timestamp.date()
    flips: set[FlipKey] = set()
    for mode in (ENGINES_ON_A_GPU, GPUS_UNDER_AN_ENGINE):
        for (place, ranking, target), days in daily_best(truth, mode).items():
            for day, new, old in leader_changes(days, ranking=ranking, confirm_runs=confirm_runs):
                flips.add(FlipKey(mode[0], place, ranking, target, (day - first).days, new, old))
    return flips


def leader_changes(days: Days, *, ranking: str, confirm_runs: int) -> list[tuple[date, str, str]]:
    """(first day, new leader, old leader) of each change of the daily leader (on days two or more
    ran) that holds `confirm_runs` days in a row."""
    changes: list[tuple[date, str, str]] = []
    confirmed = None
    for run_start, _, leader in held_leads(days, ranking=ranking, confirm_runs=confirm_runs):
        if leader == confirmed:
            continue
        if confirmed is not None:
            changes.append((date.fromisoformat(run_start), leader, confirmed))
        confirmed = leader
    return changes


def rank_flips_of(alert: models.Alert, history: History) -> list[FlipKey]:
    details = alert.details
    night = (date.fromisoformat(details["day"]) - history.nights[0].timestamp.date()).days
    return [
        FlipKey(
            details["mode"],
            tuple(details["slice"]),
            details["ranking"],
            flip["target"],
            night,
            flip["new_leader"],
            flip["old_leader"],
        )
        for flip in details["flips"]
    ]


def judge_rank(history: History, seen: Seen, truth: set[FlipKey]) -> dict[str, Any]:
    alerts = {i: a for i, a in seen.rows.items() if a.kind is AlertKind.RANK}

    def is_true(flip: FlipKey) -> bool:
        return any(
            abs(other.night - flip.night) <= RANK_DAY_SLACK
            and other._replace(night=flip.night) == flip
            for other in truth
        )

    def planted_hits(flip: TrueRankFlip, late: int) -> list[int]:
        key = flip.new_config
        shared = key.hardware if flip.mode == "engines" else key.framework
        place = (key.model, key.precision, key.isl, key.osl, shared)
        return [
            i
            for i, alert in alerts.items()
            if flip.night <= seen.created[i] <= flip.night + late
            and any(
                (told.mode, told.place, told.target) == (flip.mode, place, flip.target)
                and (told.new, told.old) == (flip.new_leader, flip.old_leader)
                for told in rank_flips_of(alert, history)
            )
        ]

    held = [flip for flip in history.rank_flips if flip.holds]
    single = [flip for flip in history.rank_flips if not flip.holds]
    found, delays, planted_alerts = 0, [], set()
    for flip in held:
        hits = planted_hits(flip, RANK_LATE_NIGHTS)
        planted_alerts.update(hits)
        if hits:
            found += 1
            delays.append(min(seen.created[i] for i in hits) - flip.night)
    single_alerts = {i for flip in single for i in planted_hits(flip, 5)}
    true_alerts = {
        i for i, alert in alerts.items() if any(is_true(f) for f in rank_flips_of(alert, history))
    }
    false = [i for i in alerts if i not in true_alerts]
    return {
        "held": len(held),
        "found": found,
        "delays": delays,
        "single": len(single),
        "single_alerted": len({i for i in single_alerts if i not in true_alerts}),
        "alerts": len(alerts),
        "planted_alerts": len(planted_alerts),
        "other_true": len(true_alerts - planted_alerts),
        "true_flips": len(truth),
        "false": len(false),
        "false_alerts": [(seen.created[i], alerts[i].summary) for i in false],
    }


def traded_configs(
    changes: tuple[ChangeSummary, ...], keys: dict[int, ConfigKey]
) -> set[ConfigKey | None]:
    """The configs an alert's message says traded: all of them when the alert is a trade, else
    those with a trade line of their own."""
    if rollup.trade(changes) is not None:
        return {keys.get(change.series_id) for change in changes}
    return {keys.get(traded.series_id) for traded in rollup.series_trades(changes)}


def judge_latency(
    factory: sessionmaker[Session], history: History, seen: Seen, keys: dict[int, ConfigKey]
) -> dict[str, Any]:
    with factory() as session:
        changes = session.execute(
            select(
                models.ChangePoint.config_id,
                models.ChangePoint.run_timestamp,
                models.ChangePoint.direction,
                models.ChangePoint.alert_id,
            ).where(
                models.ChangePoint.metric.in_(LATENCY_METRICS),
                models.ChangePoint.state == ChangeState.CONFIRMED,
                models.ChangePoint.alert_id.is_not(None),
            )
        ).all()
        alerted = [(c, moment, d, int(a)) for c, moment, d, a in changes if a is not None]
        summaries, traded = {}, {}
        for alert in session.execute(
            select(models.Alert).where(models.Alert.id.in_({change[3] for change in alerted}))
        ).scalars():
            summaries[alert.id] = alert.summary
            traded[alert.id] = traded_configs(
                alert_summary(session=session, alert=alert, public_url=None).changes, keys
            )
    planted = {(event.config, event.night) for event in history.latency_changes}

    def matches(event: TrueLatency, config_id: int, moment: datetime) -> bool:
        return keys.get(config_id) == event.config and (
            event.night - 1 <= night_of(history, moment) <= event.night + 1
        )

    found, delays, trades, said, never_improvement = 0, [], 0, 0, 0
    missed_trades: list[str] = []
    for event in history.latency_changes:
        hits = {
            alert_id
            for config_id, moment, direction, alert_id in alerted
            if direction is ChangeDirection.REGRESSION and matches(event, config_id, moment)
        }
        trades += event.throughput_change > 0
        if not hits:
            continue
        found += 1
        delays.append(min(seen.created.get(i, len(history.nights)) for i in hits) - event.night)
        if event.throughput_change > 0:
            # Said: its alert is the trade, or names its config on a trade line of its own.
            is_said = any(event.config in traded[i] for i in hits)
            is_never_improvement = all(i not in seen.ever_improvement for i in hits)
            said += is_said
            never_improvement += is_never_improvement
            if not (is_said and is_never_improvement):
                missed_trades.append(
                    trade_miss(factory, history, keys, seen, event, hits, said=is_said)
                )
    true_alerts = {
        alert_id
        for config_id, moment, _, alert_id in alerted
        if any(
            (keys.get(config_id), n) in planted
            for n in range(night_of(history, moment) - 1, night_of(history, moment) + 2)
        )
    }
    false = {change[3] for change in alerted} - true_alerts
    return {
        "events": len(history.latency_changes),
        "found": found,
        "delays": delays,
        "trades": trades,
        "said_as_trades": said,
        "never_improvement": never_improvement,
        "alerts": len({change[3] for change in alerted}),
        "false": len(false),
        "false_alerts": [(seen.created.get(i, -1), summaries[i]) for i in sorted(false)],
        "missed_trades": missed_trades,
    }


def trade_miss(
    factory: sessionmaker[Session],
    history: History,
    keys: dict[int, ConfigKey],
    seen: Seen,
    event: TrueLatency,
    hits: set[int],
    *,
    said: bool,
) -> str:
    """A planted trade not said as one, or marked improvement: the config's confirmed changes
    within three nights of it (metric@target, direction, night, alert, the night it was made)."""
    config_ids = [config_id for config_id, key in keys.items() if key == event.config]
    with factory() as session:
        changes = session.execute(
            select(
                models.ChangePoint.metric,
                models.ChangePoint.interactivity,
                models.ChangePoint.direction,
                models.ChangePoint.run_timestamp,
                models.ChangePoint.alert_id,
            )
            .where(
                models.ChangePoint.config_id.in_(config_ids),
                models.ChangePoint.state == ChangeState.CONFIRMED,
            )
            .order_by(models.ChangePoint.run_timestamp, models.ChangePoint.metric)
        ).all()
    near = [
        f"{metric}@{target:g} {direction} n{night_of(history, moment)} "
        f"alert {alert_id} (n{seen.created.get(alert_id, -1) if alert_id else '-'})"
        for metric, target, direction, moment, alert_id in changes
        if abs(night_of(history, moment) - event.night) <= 3
    ]
    marked = sorted(i for i in hits if i in seen.ever_improvement)
    return (
        f"trade night {event.night} tput {event.throughput_change:+.1%} ttft "
        f"{event.ttft_change:+.1%}: said {said}, ever improvement {marked}; " + "; ".join(near)
    )


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    return f"median {statistics.median(values):g}, max {max(values):g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=None)
    parser.add_argument("--events", type=int, default=24, help="planted events of each kind")
    parser.add_argument(
        "--verbose", action="store_true", help="list the false alerts and the trades missed"
    )
    args = parser.parse_args()
    history = generate_history(
        seed=args.seed, nights=args.nights, scale=DEMO, alert_kind_events=args.events
    )
    databases = ScratchDatabases()
    try:
        trackers = []
        for assess in (True, False):
            url = databases.create()
            settings = Settings(database_url=url, broker_url=None, alert_settle_seconds=0)
            trackers.append(Tracker(make_sessionmaker(create_db_engine(url)), settings, assess))
        kinds, today = trackers
        seen = Seen()
        stale_s, grouping_s, rank_s = [], [], []
        started = time.perf_counter()
        for night in history.nights:
            bodies = list(night.submissions)
            ids = [store_bodies(tracker.factory, bodies) for tracker in trackers]
            order = trackers if night.index % 2 == 0 else trackers[::-1]
            for position in range(len(bodies)):
                for tracker in order:
                    tracker.process(ids[trackers.index(tracker)][position])
            moment = time.perf_counter()
            run_alert_grouping(session_factory=kinds.factory, settings=kinds.settings)
            grouping_s.append(time.perf_counter() - moment)
            moment = time.perf_counter()
            run_stale_check(session_factory=kinds.factory, settings=kinds.settings)
            stale_s.append(time.perf_counter() - moment)
            moment = time.perf_counter()
            run_rank_check(session_factory=kinds.factory, settings=kinds.settings)
            rank_s.append(time.perf_counter() - moment)
            look(kinds.factory, seen, night.index)
        elapsed = time.perf_counter() - started
        keys = config_keys(kinds.factory)
        stale = judge_stale(history, seen, keys)
        drift = judge_drift(history, seen, keys, regression_nights(kinds.factory, history, keys))
        truth = true_flips(kinds.factory, history, keys, kinds.settings.confirm_runs)
        rank = judge_rank(history, seen, truth)
        latency = judge_latency(kinds.factory, history, seen, keys)
    finally:
        databases.drop_all()

    print(
        f"history: seed {args.seed}, {len(history.nights)} nights, {len(history.configs)} configs, "
        f"{history.submission_count} submissions; {elapsed:.0f} s for both databases"
    )
    print(
        f"stale: {stale['found']}/{stale['events']} events found "
        f"({stale['found'] / max(stale['events'], 1):.0%}); delay after the first missed run "
        f"{summary(stale['delays'])} nights; split {stale['split']}; resolved on the night of "
        f"return {stale['resolved_on_return']}/{stale['resolvable']}; "
        f"{stale['alerts']} alerts, {stale['false']} false"
    )
    planted_alerts = drift["alerts"] - drift["false"] - drift["on_other_regressions"]
    print(
        f"drift: {drift['found']}/{drift['events']} events found "
        f"({drift['found'] / max(drift['events'], 1):.0%}); delay after passing the threshold "
        f"{summary(drift['delays'])} nights; reported as step regressions "
        f"{drift['reported_as_steps']}/{drift['events']}; "
        f"{drift['alerts']} alerts: {planted_alerts} on planted slides, "
        f"{drift['on_other_regressions']} on other true regressions, "
        f"{drift['false']} false"
    )
    print(
        f"rank: {rank['found']}/{rank['held']} planted flips that hold found "
        f"({rank['found'] / max(rank['held'], 1):.0%}); delay after the flip "
        f"{summary(rank['delays'])} nights; single-night flips alerted "
        f"{rank['single_alerted']}/{rank['single']}; {rank['alerts']} alerts: "
        f"{rank['planted_alerts']} on planted flips, {rank['other_true']} on other flips of the "
        f"noise-free truth ({rank['true_flips']} in all), {rank['false']} false"
    )
    print(
        f"latency: {latency['found']}/{latency['events']} planted TTFT regressions found "
        f"({latency['found'] / max(latency['events'], 1):.0%}); delay "
        f"{summary(latency['delays'])} nights; trades said as trades "
        f"{latency['said_as_trades']}/{latency['trades']}, never marked improvement "
        f"{latency['never_improvement']}/{latency['trades']}; {latency['alerts']} step alerts with "
        f"latency changes, {latency['false']} false"
    )
    if args.verbose:
        for kind, judged in (
            ("stale", stale),
            ("drift", drift),
            ("rank", rank),
            ("latency", latency),
        ):
            for night_index, text in judged["false_alerts"]:
                print(f"  false {kind} alert, night {night_index}: {text}")
        for text in latency["missed_trades"]:
            print(f"  {text}")
    for name, values in (("with drift", kinds.seconds), ("without (base)", today.seconds)):
        print(
            f"processing per submission, {name}: median {statistics.median(values) * 1000:.1f} ms,"
            f" mean {statistics.mean(values) * 1000:.1f} ms"
        )
    ratio = statistics.median(kinds.seconds) / statistics.median(today.seconds)
    mean_ratio = statistics.mean(kinds.seconds) / statistics.mean(today.seconds)
    verdict = "met" if max(ratio, mean_ratio) <= COST_TARGET else "missed"
    print(
        f"cost ratio: median {ratio:.2f}x, mean {mean_ratio:.2f}x "
        f"(target <= {COST_TARGET}x: {verdict})"
    )
    print(
        f"per night: stale check {statistics.median(stale_s) * 1000:.1f} ms median "
        f"(max {max(stale_s) * 1000:.1f}), rank check {statistics.median(rank_s) * 1000:.1f} ms "
        f"median (max {max(rank_s) * 1000:.1f}), grouping with drift "
        f"{statistics.median(grouping_s) * 1000:.1f} ms median"
    )


if __name__ == "__main__":
    main()
