"""Stale and drift alerts on the simulated history, and what they cost nightly processing.

The simulated history (`tracker.demo.simulation`, DEMO scale: 63 configs over 180 nights) is
drawn with `alert_kind_events` planted events of each kind besides its usual ones: configs of an
engine that stop reporting while the engine goes on (one in four never come back), configs that
slide in four regressions of 1.6–2.0 % a week apart, and engines that pause entirely for five
nights. The history is processed night by night, in this process, into two scratch Postgres
databases through the real code: one with drift assessed (today's branch) and one without (the
processing this branch started from), submission by submission interleaved, so both see the
same machine load. After each night the first database runs alert grouping (step and drift
alerts, settle window 0) and the stale check, as beat would at least once a night.

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
- cost: processing time per submission with drift assessed against without (median and mean,
  target ≤ 1.5×), and the stale check's and grouping's time per night.

    python -m benchmarks.alert_kinds                  # DEMO scale, 24 events of each kind
    python -m benchmarks.alert_kinds --nights 90 --events 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.jobs import run_alert_grouping, run_stale_check
from tests.conftest import ScratchDatabases
from tests.support.stored import store_bodies
from tracker import models
from tracker.clock import utc_now
from tracker.db.engine import create_db_engine, make_sessionmaker, transaction
from tracker.demo.simulation import DEMO, ConfigKey, History, generate_history
from tracker.pipeline.jobs import processing_options
from tracker.processing import submissions
from tracker.settings import Settings
from tracker.vocabulary import AlertKind, AlertState, ChangeDirection, ChangeState

DRIFT_THRESHOLD = 0.05
DRIFT_LATE_NIGHTS = 21
COST_TARGET = 1.5


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
    """Each alert of a kind the night it first appeared, and the night it was resolved."""

    created: dict[int, int] = field(default_factory=dict)
    resolved: dict[int, int] = field(default_factory=dict)
    rows: dict[int, models.Alert] = field(default_factory=dict)


def config_keys(factory: sessionmaker[Session]) -> dict[int, ConfigKey]:
    with factory() as session:
        return {
            config.id: ConfigKey.from_config(config.as_dict())
            for config in session.execute(select(models.Config)).scalars()
        }


def look(factory: sessionmaker[Session], seen: Seen, night: int) -> None:
    with factory() as session:
        for alert in session.execute(
            select(models.Alert).where(models.Alert.kind != AlertKind.STEP)
        ).scalars():
            seen.created.setdefault(alert.id, night)
            if alert.state is AlertState.RESOLVED:
                seen.resolved.setdefault(alert.id, night)
            session.expunge(alert)
            seen.rows[alert.id] = alert


def alert_configs(alert: models.Alert, keys: dict[int, ConfigKey]) -> set[ConfigKey]:
    if alert.kind is AlertKind.STALE:
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


def summary(values: list[float]) -> str:
    if not values:
        return "—"
    return f"median {statistics.median(values):g}, max {max(values):g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=None)
    parser.add_argument("--events", type=int, default=24, help="planted events of each kind")
    parser.add_argument("--verbose", action="store_true", help="list the false alerts")
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
        stale_s, grouping_s = [], []
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
            look(kinds.factory, seen, night.index)
        elapsed = time.perf_counter() - started
        keys = config_keys(kinds.factory)
        stale = judge_stale(history, seen, keys)
        drift = judge_drift(history, seen, keys, regression_nights(kinds.factory, history, keys))
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
    if args.verbose:
        for kind, judged in (("stale", stale), ("drift", drift)):
            for night_index, text in judged["false_alerts"]:
                print(f"  false {kind} alert, night {night_index}: {text}")
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
        f"(max {max(stale_s) * 1000:.1f}), grouping with drift "
        f"{statistics.median(grouping_s) * 1000:.1f} ms median"
    )


if __name__ == "__main__":
    main()
