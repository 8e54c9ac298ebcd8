"""Bisection on simulated alerts: how often it names the culprit, and how many runs it takes.

Each simulated alert has a range of 2–60 commits (a night's worth on a busy engine repository)
with the culprit at a random place, 1–5 configs of three tracks each, a step of 3–25 % and 1–3 %
noise shared by a config's tracks (one run measures them together) plus 0.3 % of their own. Each
run the search asks for is drawn at the culprit's side of the commit, and a share of runs are bad
(15–30 % low, a broken node): none, 2 % (about the share of bad nights in nightly histories) and
5 %. Runs are judged and the search moved on by the same functions as
the service (`alerts.bisection.evidence.read_run`, `alerts.bisection.search.decide`), with the
default budget of six runs. The end to end path (GitHub stand-in, worker, Slack) is
`tests/alerts/test_bisection.py`.

    python -m benchmarks.bisection            # 500 alerts, seed 7

Reported per share of bad runs: the share found (and found wrongly), narrowed, and the runs used
(median, p90, max). A bad run that lands near the level after a regression reads as after-like:
that is what sends a search astray.
"""

from __future__ import annotations

import argparse
import math
import statistics
from dataclasses import dataclass

import numpy as np

from alerts.bisection.evidence import TrackLevels, read_run, verdict_of
from alerts.bisection.search import SearchRange, decide
from tracker.settings import Settings
from tracker.vocabulary import BisectionState, Metric

TARGETS = (20.0, 35.0, 75.0)
BAD_RUN_SHARES = (0.0, 0.02, 0.05)


@dataclass(frozen=True)
class Outcome:
    state: BisectionState
    culprit: int | None
    truth: int
    runs: int
    remaining: int


def bisect_one(rng: np.random.Generator, max_runs: int, bad_share: float) -> Outcome:
    commits = int(rng.integers(2, 61))
    truth = int(rng.integers(0, commits))
    step = rng.choice([-1.0, 1.0]) * rng.uniform(0.03, 0.25)
    noise = rng.uniform(0.01, 0.03)
    configs = int(rng.integers(1, 6))
    base = {c: rng.uniform(500, 5000) for c in range(configs)}
    tracks = [
        TrackLevels(c, Metric.TPUT_PER_GPU, target, base[c], base[c] * (1 + step), noise)
        for c in range(configs)
        for target in TARGETS
    ]

    def run(index: int) -> float:
        values = {}
        bad = rng.random() < bad_share
        for c in range(configs):
            shared = rng.normal(0, noise)
            for track in (t for t in tracks if t.config_id == c):
                level = track.after if index >= truth else track.before
                value = level * math.exp(shared + rng.normal(0, 0.003))
                values[track.key] = value * (rng.uniform(0.70, 0.85) if bad else 1.0)
        reading = read_run(tracks, values)
        return reading.log_ratio

    search = SearchRange(good=-1, bad=commits - 1)
    if commits == 1:
        return Outcome(BisectionState.FOUND, 0, truth, 0, 1)
    index, rerun, runs, evidence = search.next_commit(), False, 0, 0.0
    while True:
        assert index is not None
        runs += 1
        log_ratio = run(index)
        evidence = evidence + log_ratio if rerun else log_ratio
        decision = decide(
            search,
            index,
            verdict_of(evidence) if rerun else verdict_of(log_ratio),
            was_rerun=rerun,
            runs_used=runs,
            max_runs=max_runs,
        )
        search = decision.search
        if decision.conclusion is not None:
            culprit = search.bad if decision.conclusion is BisectionState.FOUND else None
            return Outcome(decision.conclusion, culprit, truth, runs, search.remaining)
        index, rerun = decision.ask, decision.rerun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-runs", type=int, default=Settings().bisect_max_runs)
    arguments = parser.parse_args()
    print(
        f"{arguments.alerts} simulated alerts for each share of bad runs, 2–60 commits, "
        f"budget {arguments.max_runs}"
    )
    for bad_share in BAD_RUN_SHARES:
        rng = np.random.default_rng(arguments.seed)
        outcomes = [bisect_one(rng, arguments.max_runs, bad_share) for _ in range(arguments.alerts)]
        found = [o for o in outcomes if o.state is BisectionState.FOUND]
        right = [o for o in found if o.culprit == o.truth]
        narrowed = [o for o in outcomes if o.state is BisectionState.NARROWED]
        runs = sorted(o.runs for o in outcomes)
        left = statistics.median(o.remaining for o in narrowed) if narrowed else 0
        print(
            f"bad runs {bad_share:4.0%}: culprit found {len(right) / len(outcomes):.3f}, "
            f"found wrongly {(len(found) - len(right)) / len(outcomes):.3f}, narrowed "
            f"{len(narrowed) / len(outcomes):.3f} (median {left} commits left); runs used "
            f"median {statistics.median(runs)}, p90 {statistics.quantiles(runs, n=10)[-1]}, "
            f"max {runs[-1]}"
        )


if __name__ == "__main__":
    main()
