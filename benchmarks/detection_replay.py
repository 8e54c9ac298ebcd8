"""Detection and alert quality on a realistic nightly engine-CI history, replayed through the
running service.

The simulated history (`tracker.demo.simulation`, DEMO scale: 63 configs over 180 nights,
engine-wide events that move many configs at once, outlier nights, missing nights, a month-long
ramp of small steps, regressions followed by their fix, configs that never change) is posted
night by night to `tracker serve` with real `tracker worker` processes, Postgres and a local
Slack stand-in (settle window 0: the replay waits for each night's grouping and delivery instead);
after each night the benchmark reads `GET /api/v1/changes`, and at the end the alerts.

Detection (a reported change matches a true one on the same config within ±3 nights):
- recall over (true change, config) pairs: found when any of the config's tracks reports it;
- precision over reported change points (every track's);
- false changes on quiet configs and at outlier nights (a reported change whose most likely
  first changed night is an outlier night of that config);
- delay = night first reported − night of the change.
Commit ranges and alerts:
- the share of matched change points whose commit range (runs after … through) holds the true
  change's night, and the range's width in runs of that config (median, p90);
- alerts ÷ true engine-commit events; events split over several alerts; alerts that merge
  several events; alerts matching no event; first Slack posts that were already void
  ("Retracted");
- with `--repeat 2`, whether replaying the same history again gives the same alerts (count,
  members, ranges).

    python -m benchmarks.detection_replay                      # the full history, ~5 minutes
    python -m benchmarks.detection_replay --worker-concurrency 2 --repeat 2

Targets: F1 ≥ 0.97; zero false changes on quiet series and at outlier nights; median delay ≤
TRACKER_CONFIRM_RUNS (3); commit ranges holding the true change ≥ 0.97; alerts ≤ 1.10 × true
events and no event split over two alerts; no void first post; the same alerts on every replay;
the whole replay in under 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.stack import running_stack
from tests.support.services import wait_for
from tests.support.slack_stand_in import SlackStandIn
from tracker import jsonio
from tracker.demo.simulation import DEMO, ConfigKey, History, TrueChange, generate_history

BROKER_DB = 13
MATCH_NIGHTS = 3
CONFIRM_RUNS = 3
SLACK_TOKEN = "xoxb-replay"
SLACK_CHANNEL = "C0REPLAY"


@dataclass
class Replay:
    """What the service reported, night by night, and its alerts at the end."""

    first_reported_night: dict[int, int] = field(default_factory=dict)  # change id → night
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)  # change id → latest view
    alerts: list[dict[str, Any]] = field(default_factory=list)  # alert details
    void_first_posts: int = 0


def night_of(history: History, timestamp: str) -> int:
    moment = datetime.fromisoformat(timestamp)
    return min(range(len(history.nights)), key=lambda n: abs(history.nights[n].timestamp - moment))


def listing(http: httpx.Client, path: str) -> list[dict[str, Any]]:
    """Every item of a paginated listing."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = http.get(path, params={"limit": 1000, **({"cursor": cursor} if cursor else {})})
        answer = page.json()
        items.extend(answer["items"])
        cursor = answer["next"]
        if cursor is None:
            return items


def settled(http: httpx.Client) -> bool:
    """Every confirmed change has its alert, and every alert that is not void was delivered."""
    if any(change["alert_id"] is None for change in listing(http, "/api/v1/changes")):
        return False
    return all(
        delivery["status"] in ("sent", "failed")
        for alert in listing(http, "/api/v1/alerts")
        if alert["state"] != "retracted"
        for delivery in alert["deliveries"]
    )


def replay(history: History, url: str, token: str, nights: int, slack: SlackStandIn) -> Replay:
    seen = Replay()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        for night in history.nights[:nights]:
            status_urls = []
            for body in night.submissions:
                response = http.post(
                    "/api/v1/submissions",
                    content=jsonio.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                )
                assert response.status_code == 202, response.text
                status_urls.append(response.json()["status_url"])
            for status_url in status_urls:
                wait_for(
                    lambda u=status_url: http.get(u).json()["status"] != "accepted",
                    300,
                    f"{status_url} processed",
                )
            wait_for(lambda: settled(http), 300, f"night {night.index}'s alerts", 0.1)
            for change in listing(http, "/api/v1/changes"):
                seen.changes[change["id"]] = change
                seen.first_reported_night.setdefault(change["id"], night.index)
            print(f"\rnight {night.index + 1}/{nights}: {len(seen.changes)} change points", end="")
        print()
        seen.alerts = [
            http.get(f"/api/v1/alerts/{alert['id']}").json()
            for alert in listing(http, "/api/v1/alerts")
        ]
    seen.changes = {change["id"]: change for change in seen.changes.values()}
    first_posts = [c for c in slack.calls("chat.postMessage") if "thread_ts" not in c.params]
    seen.void_first_posts = sum(
        str(call.params.get("text", "")).startswith("↩️ Retracted") for call in first_posts
    )
    return seen


@dataclass(frozen=True)
class Scores:
    true_pairs: int
    found_pairs: int
    reported: int
    matched_reported: int
    false_on_quiet: int
    false_at_outliers: int
    delays: list[int]
    covered_ranges: int
    range_widths: list[int]
    missed: list[str]
    false_positives: list[str]


def confirmable(history: History, nights: int) -> list[TrueChange]:
    """True changes with CONFIRM_RUNS later nights in the replay: the ones it can report."""
    return [change for change in history.true_changes if change.night + CONFIRM_RUNS < nights]


def truth_of(
    history: History, change: dict[str, Any], true_by_config: dict[ConfigKey, list[TrueChange]]
) -> TrueChange | None:
    """The true change a reported one matches: same config, within MATCH_NIGHTS nights."""
    config = ConfigKey.from_config(change["config"])
    night = night_of(history, change["run_timestamp"])
    truths = [t for t in true_by_config.get(config, []) if abs(t.night - night) <= MATCH_NIGHTS]
    return min(truths, key=lambda t: abs(t.night - night)) if truths else None


def runs_in_range(history: History, config: ConfigKey, commit_range: dict[str, Any]) -> int:
    """The config's runs after `runs_after`, up to `runs_through`: the range's width in runs."""
    after = datetime.fromisoformat(commit_range["runs_after"])
    through = datetime.fromisoformat(commit_range["runs_through"])
    missing = {m.night for m in history.missing if m.config in (None, config)}
    return sum(
        after < night.timestamp <= through and night.index not in missing
        for night in history.nights
    )


def score(history: History, seen: Replay, nights: int) -> Scores:
    true_by_config: dict[ConfigKey, list[TrueChange]] = defaultdict(list)
    for change in confirmable(history, nights):
        for config in change.configs:
            true_by_config[config].append(change)
    outlier_nights = {(o.config, o.night) for o in history.outliers}
    quiet = set(history.quiet_configs)

    found: set[tuple[ConfigKey, int]] = set()
    delays: dict[tuple[ConfigKey, int], int] = {}
    matched = false_quiet = false_outlier = covered = 0
    widths = []
    false_positives = []
    for change_id, change in seen.changes.items():
        config = ConfigKey.from_config(change["config"])
        night = night_of(history, change["run_timestamp"])
        truth = truth_of(history, change, true_by_config)
        if truth is not None:
            matched += 1
            pair = (config, truth.night)
            found.add(pair)
            delay = seen.first_reported_night[change_id] - truth.night
            delays[pair] = min(delays.get(pair, delay), delay)
            commit_range = change["commit_range"]
            after = datetime.fromisoformat(commit_range["runs_after"])
            through = datetime.fromisoformat(commit_range["runs_through"])
            covered += after < truth.timestamp <= through
            widths.append(runs_in_range(history, config, commit_range))
        else:
            false_positives.append(
                f"{config.label} {change['metric']}@{change['interactivity']:g} night {night} "
                f"{change['relative_change']:+.1%}"
            )
        false_quiet += config in quiet
        false_outlier += (config, night) in outlier_nights
    pairs = {(config, t.night) for config, truths in true_by_config.items() for t in truths}
    missed = [
        f"{config.label} night {night}"
        for config, night in sorted(pairs - found, key=lambda p: (p[1], p[0].label))
    ]
    return Scores(
        true_pairs=len(pairs),
        found_pairs=len(found & pairs),
        reported=len(seen.changes),
        matched_reported=matched,
        false_on_quiet=false_quiet,
        false_at_outliers=false_outlier,
        delays=sorted(delays.values()),
        covered_ranges=covered,
        range_widths=sorted(widths),
        missed=missed,
        false_positives=false_positives,
    )


@dataclass(frozen=True)
class AlertScores:
    events: int
    alerts: int
    split_events: int
    merging_alerts: int
    unmatched_alerts: int
    split_details: list[str]


def score_alerts(history: History, seen: Replay, nights: int) -> AlertScores:
    """Alerts against the true engine-commit events their change points match."""
    events = confirmable(history, nights)
    true_by_config: dict[ConfigKey, list[TrueChange]] = defaultdict(list)
    for change in events:
        for config in change.configs:
            true_by_config[config].append(change)
    alerts_of_event: dict[tuple[str, int], set[int]] = defaultdict(set)
    live = [alert for alert in seen.alerts if alert["state"] != "retracted"]
    merging = unmatched = 0
    for alert in live:
        matched = {
            (truth.engine, truth.night)
            for change in alert["changes"]
            if change["state"] == "confirmed"
            and (truth := truth_of(history, change, true_by_config)) is not None
        }
        for event in matched:
            alerts_of_event[event].add(alert["id"])
        merging += len(matched) > 1
        unmatched += not matched
    by_id = {alert["id"]: alert for alert in live}
    details = []
    for (engine, night), ids in sorted(alerts_of_event.items()):
        if len(ids) < 2:
            continue
        ranges = "; ".join(
            f"#{i} runs after {by_id[i]['commit_range']['runs_after'][:10]} up to "
            f"{by_id[i]['commit_range']['runs_through'][:10]} ({len(by_id[i]['changes'])} changes)"
            for i in sorted(ids)
        )
        details.append(f"{engine} night {night}: {ranges}")
    return AlertScores(
        events=len(events),
        alerts=len(live),
        split_events=len(details),
        merging_alerts=merging,
        unmatched_alerts=unmatched,
        split_details=details,
    )


def alert_signature(seen: Replay) -> list[tuple[Any, ...]]:
    """What must be equal between replays: each alert's engine, state, range and members."""
    return sorted(
        (
            alert["engine"],
            alert["state"],
            alert["commit_range"]["runs_after"],
            alert["commit_range"]["runs_through"],
            tuple(
                sorted(
                    (c["series_id"], c["metric"], c["interactivity"], c["run_timestamp"])
                    for c in alert["changes"]
                    if c["state"] == "confirmed"
                )
            ),
        )
        for alert in seen.alerts
    )


def run_once(history: History, nights: int, arguments: argparse.Namespace) -> tuple[Replay, float]:
    started = time.perf_counter()
    with SlackStandIn(token=SLACK_TOKEN) as slack:
        environment = {
            "TRACKER_ALERT_SETTLE_SECONDS": "0",
            "TRACKER_SLACK_TOKEN": SLACK_TOKEN,
            "TRACKER_SLACK_API_URL": slack.base_url,
            "TRACKER_SLACK_CHANNEL": SLACK_CHANNEL,
        }
        with running_stack(
            name="replay",
            redis_db=BROKER_DB,
            api_workers=arguments.api_workers,
            worker_concurrency=arguments.worker_concurrency,
            environment=environment,
        ) as stack:
            seen = replay(history, stack.url, stack.token, nights, slack)
    return seen, time.perf_counter() - started


def percentile(values: list[int], fraction: float) -> float:
    if not values:
        return float("nan")
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(fraction * 100) - 1])


def report(history: History, seen: Replay, nights: int, elapsed: float) -> None:
    scores = score(history, seen, nights)
    recall = scores.found_pairs / max(scores.true_pairs, 1)
    precision = scores.matched_reported / max(scores.reported, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    median_delay = statistics.median(scores.delays) if scores.delays else float("nan")
    print(f"\ntrue (change, config) pairs: {scores.true_pairs}; found {scores.found_pairs}")
    print(f"reported change points: {scores.reported}; matching {scores.matched_reported}")
    print(f"recall {recall:.3f}  precision {precision:.3f}  F1 {f1:.3f}   (target F1 ≥ 0.97)")
    print(f"false changes on quiet configs: {scores.false_on_quiet}   (target 0)")
    print(f"false changes at outlier nights: {scores.false_at_outliers}   (target 0)")
    print(
        f"delay (nights, first reported − true): median {median_delay}, "
        f"max {max(scores.delays, default=0)}   (target median ≤ {CONFIRM_RUNS})"
    )
    coverage = scores.covered_ranges / max(scores.matched_reported, 1)
    print(
        f"commit ranges holding the true change: {coverage:.3f} "
        f"({scores.covered_ranges}/{scores.matched_reported})   (target ≥ 0.97)"
    )
    print(
        f"range width in runs: median {statistics.median(scores.range_widths or [0])}, "
        f"p90 {percentile(scores.range_widths, 0.9)}, max {max(scores.range_widths, default=0)}"
    )
    alerts = score_alerts(history, seen, nights)
    print(
        f"alerts: {alerts.alerts} for {alerts.events} true engine-commit events "
        f"(÷ {alerts.alerts / max(alerts.events, 1):.2f}; target ≤ 1.10); events split over "
        f"several alerts: {alerts.split_events} (target 0); alerts merging several events: "
        f"{alerts.merging_alerts}; alerts matching no event: {alerts.unmatched_alerts}"
    )
    for line in alerts.split_details:
        print(f"  split: {line}")
    print(f"void first posts: {seen.void_first_posts}   (target 0)")
    print(f"replay wall time: {elapsed:.0f} s   (target < 600 s)")
    for line in scores.missed:
        print(f"  missed: {line}")
    for line in scores.false_positives:
        print(f"  false: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=DEMO.nights)
    parser.add_argument("--api-workers", type=int, default=1)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="replays, compared for equality")
    parser.add_argument(
        "--dump", help="write each replay's change points and alerts to DUMP-<n>.json"
    )
    arguments = parser.parse_args()
    history = generate_history(seed=arguments.seed, scale=DEMO)
    nights = min(arguments.nights, len(history.nights))
    print(
        f"history: {len(history.configs)} configs, {nights} nights, "
        f"{sum(len(n.planned) for n in history.nights[:nights])} submissions, "
        f"{len(history.true_changes)} true change events, {len(history.outliers)} outliers, "
        f"{len(history.missing)} missing runs, {len(history.quiet_configs)} quiet configs"
    )
    signatures = []
    for attempt in range(arguments.repeat):
        seen, elapsed = run_once(history, nights, arguments)
        print(f"\n== replay {attempt + 1} of {arguments.repeat}")
        report(history, seen, nights, elapsed)
        signatures.append(alert_signature(seen))
        if arguments.dump:
            Path(f"{arguments.dump}-{attempt + 1}.json").write_text(
                json.dumps({"changes": list(seen.changes.values()), "alerts": seen.alerts})
            )
    if arguments.repeat > 1:
        same = all(signature == signatures[0] for signature in signatures[1:])
        counts = ", ".join(str(len(signature)) for signature in signatures)
        print(f"\nthe same alerts on every replay: {'yes' if same else 'NO'} ({counts} alerts)")


if __name__ == "__main__":
    main()
