"""Detection quality on a realistic nightly engine-CI history, replayed through the running service.

The simulated history (`tracker.demo.simulation`, DEMO scale: 63 configs over 180 nights,
engine-wide events that move many configs at once, outlier nights, missing nights, a month-long
ramp of small steps, regressions followed by their fix, configs that never change) is posted
night by night to `tracker serve` with a real `tracker worker` and Postgres; after each night the
benchmark waits for every submission to be processed and reads `GET /api/v1/changes`.

Scoring (a reported change matches a true one on the same config within ±3 nights):
- recall over (true change, config) pairs: found when any of the config's tracks reports it;
- precision over reported change points (every track's);
- false changes on quiet configs and at outlier nights (a reported change whose first changed
  night is an outlier night of that config);
- delay = night first reported − night of the change.

    python -m benchmarks.detection_replay            # the full history, about 5 minutes

Targets: F1 ≥ 0.97; zero false changes on quiet series and at outlier nights; median delay ≤
TRACKER_CONFIRM_RUNS (3); the whole replay in under 10 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from benchmarks.stack import running_stack
from tests.support.services import wait_for
from tracker import jsonio
from tracker.demo.simulation import DEMO, ConfigKey, History, generate_history

BROKER_DB = 13
MATCH_NIGHTS = 3
CONFIRM_RUNS = 3


@dataclass
class Replay:
    """What the service reported, night by night."""

    first_reported_night: dict[int, int] = field(default_factory=dict)  # change id → night
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)  # change id → latest view


def night_of(history: History, timestamp: str) -> int:
    moment = datetime.fromisoformat(timestamp)
    return min(range(len(history.nights)), key=lambda n: abs(history.nights[n].timestamp - moment))


def replay(history: History, url: str, token: str, nights: int) -> Replay:
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
            cursor = None
            while True:
                page = http.get(
                    "/api/v1/changes",
                    params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
                ).json()
                for change in page["items"]:
                    seen.changes[change["id"]] = change
                    seen.first_reported_night.setdefault(change["id"], night.index)
                cursor = page["next"]
                if cursor is None:
                    break
            print(f"\rnight {night.index + 1}/{nights}: {len(seen.changes)} change points", end="")
    print()
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
    missed: list[str]
    false_positives: list[str]


def score(history: History, seen: Replay, nights: int) -> Scores:
    # A true change needs CONFIRM_RUNS later nights to be confirmable within the replay.
    true_by_config: dict[ConfigKey, list[int]] = defaultdict(list)
    for change in history.true_changes:
        if change.night + CONFIRM_RUNS < nights:
            for config in change.configs:
                true_by_config[config].append(change.night)
    outlier_nights = {(o.config, o.night) for o in history.outliers}
    quiet = set(history.quiet_configs)

    found: set[tuple[ConfigKey, int]] = set()
    delays: dict[tuple[ConfigKey, int], int] = {}
    matched = false_quiet = false_outlier = 0
    false_positives = []
    for change_id, change in seen.changes.items():
        config = ConfigKey.from_config(change["config"])
        night = night_of(history, change["run_timestamp"])
        truths = [t for t in true_by_config.get(config, []) if abs(t - night) <= MATCH_NIGHTS]
        if truths:
            matched += 1
            truth = min(truths, key=lambda t: abs(t - night))
            pair = (config, truth)
            found.add(pair)
            delay = seen.first_reported_night[change_id] - truth
            delays[pair] = min(delays.get(pair, delay), delay)
        else:
            false_positives.append(
                f"{config.label} {change['metric']}@{change['interactivity']:g} night {night} "
                f"{change['relative_change']:+.1%}"
            )
        false_quiet += config in quiet
        false_outlier += (config, night) in outlier_nights
    pairs = {(config, night) for config, truths in true_by_config.items() for night in truths}
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
        missed=missed,
        false_positives=false_positives,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=DEMO.nights)
    parser.add_argument("--api-workers", type=int, default=1)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    arguments = parser.parse_args()
    history = generate_history(seed=arguments.seed, scale=DEMO)
    nights = min(arguments.nights, len(history.nights))
    print(
        f"history: {len(history.configs)} configs, {nights} nights, "
        f"{sum(len(n.planned) for n in history.nights[:nights])} submissions, "
        f"{len(history.true_changes)} true change events, {len(history.outliers)} outliers, "
        f"{len(history.missing)} missing runs, {len(history.quiet_configs)} quiet configs"
    )
    started = time.perf_counter()
    with running_stack(
        name="replay",
        redis_db=BROKER_DB,
        api_workers=arguments.api_workers,
        worker_concurrency=arguments.worker_concurrency,
    ) as stack:
        seen = replay(history, stack.url, stack.token, nights)
    elapsed = time.perf_counter() - started
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
    print(f"replay wall time: {elapsed:.0f} s   (target < 600 s)")
    for line in scores.missed:
        print(f"  missed: {line}")
    for line in scores.false_positives:
        print(f"  false: {line}")


if __name__ == "__main__":
    main()
