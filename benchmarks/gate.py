"""The pull-request gate on simulated candidates with known truth, through the production shape.

A fleet of 24 configs of one engine, 12 quiet (nightly noise 0.5 %) and 12 noisy (2.5 %), posts
30 tracked nights. Then each candidate is one config's run re-measured with a fresh draw of its
noise, its throughput times a known factor: no change, −5 %, −12 % or +8 %, on quiet and noisy
tracks alike (the same number of each), each config in turn. Every candidate is a pull request of
its own; its verdict is read as CI reads it. Its throughput items (5 targets × 2 metrics) all
carry the candidate's truth and move together (one sweep), so a candidate counts 10 items; its
latency items (TTFT, left as the history had it) are not counted.

Figures: the false-regression rate (regression items among those with no change; target ≤ 1 %),
the detection rate of −5 % and −12 % (regression items; targets ≥ 0.9 and ≥ 0.99), the share
inconclusive; the same after following the verdict's advice as a CI job would (while a
candidate is inconclusive and says N more runs would settle it, run it N more times — repeats of
the same pull request and commit, combined — at most --max-reruns in all); and the time from each
candidate's (or rerun's) POST to its verdict (p95 target < 5 s), with a real worker.

    python -m benchmarks.gate [--candidates 240] [--seed 7] [--max-reruns 6]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.stack import running_stack
from tests.support.builders import night_timestamp, nightly_levels, synthetic_rows
from tests.support.candidates import SeriesPlan, candidate_body, nightly_body, throughput_items

BROKER_DB = 10
NIGHTS = 30
QUIET, NOISY = 0.005, 0.025
TRUTHS = (1.0, 0.95, 0.88, 1.08)
GPUS = ("h100", "h200", "b200", "mi300x", "mi325x", "mi355x")
MODELS = (
    "deepseek-ai/DeepSeek-R1-0528",
    "Qwen/Qwen3-235B-A22B",
    "openai/gpt-oss-120b",
    "moonshotai/Kimi-K2.5",
)
FLEET = tuple(
    SeriesPlan(gpu, model, QUIET if m % 2 == 0 else NOISY, seed=10 * g + m)
    for g, gpu in enumerate(GPUS)
    for m, model in enumerate(MODELS)
)


@dataclass(frozen=True)
class Candidate:
    plan: SeriesPlan
    truth: float
    pull_request: int


def history_body(night: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for plan in FLEET:
        level = nightly_levels(NIGHTS, noise=plan.noise, seed=plan.seed)[night]
        rows += synthetic_rows(framework="sglang", level=level, **plan.fields())
    return nightly_body(rows, night)


def candidate_rows(candidate: Candidate, rng: random.Random) -> list[dict[str, Any]]:
    level = candidate.truth * (1 + rng.gauss(0, candidate.plan.noise))
    return synthetic_rows(framework="sglang", level=level, **candidate.plan.fields())


def post(client: httpx.Client, body: dict[str, Any]) -> int:
    response = client.post("/api/v1/submissions", json=body)
    response.raise_for_status()
    submission_id: int = response.json()["id"]
    return submission_id


def verdict_when_ready(client: httpx.Client, submission_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/submissions/{submission_id}/verdict")
        if response.status_code == 200:
            verdict: dict[str, Any] = response.json()
            return verdict
        if response.status_code != 409:
            response.raise_for_status()
        time.sleep(0.02)
    raise TimeoutError(f"no verdict for submission {submission_id} after 120 s")


def judged(
    client: httpx.Client, candidate: Candidate, run: int, rng: random.Random, latencies: list[float]
) -> dict[str, Any]:
    body = candidate_body(
        candidate_rows(candidate, rng),
        pull_request=candidate.pull_request,
        commit=f"{candidate.pull_request:06d}abcd",
        night=NIGHTS - 1,
        run_key=f"pr:{candidate.pull_request}:{run}",
    )
    started = time.monotonic()
    verdict = verdict_when_ready(client, post(client, body))
    latencies.append(time.monotonic() - started)
    return verdict


def rates(verdicts: dict[Candidate, dict[str, Any]]) -> dict[tuple[str, float], Counter[str]]:
    """(noise class, truth) → item verdict counts."""
    counts: dict[tuple[str, float], Counter[str]] = defaultdict(Counter)
    for candidate, verdict in verdicts.items():
        noise = "quiet" if candidate.plan.noise == QUIET else "noisy"
        for item in throughput_items(verdict["items"]):
            counts[(noise, candidate.truth)][item["verdict"]] += 1
    return counts


def report(title: str, verdicts: dict[Candidate, dict[str, Any]]) -> None:
    counts = rates(verdicts)
    print(f"\n{title}")
    header = ("truth", "tracks", "items", "regr.", "impr.", "unch.", "inconc.")
    print(
        " ".join(
            f"{word:>{width}}" for word, width in zip(header, (7, 6, 6, 7, 7, 7, 8), strict=True)
        )
    )
    for truth in TRUTHS:
        for noise in ("quiet", "noisy", "all"):
            counter: Counter[str] = Counter()
            for (cls, t), c in counts.items():
                if t == truth and noise in (cls, "all"):
                    counter.update(c)
            total = sum(counter.values()) or 1
            print(
                f"{truth - 1:+7.0%} {noise:>6} {total:6d} "
                f"{counter['regression'] / total:7.3f} {counter['improvement'] / total:7.3f} "
                f"{counter['unchanged'] / total:7.3f} {counter['inconclusive'] / total:8.3f}"
            )

    def share(truth: float, verdict: str) -> float:
        counter: Counter[str] = Counter()
        for (_, t), c in counts.items():
            if t == truth:
                counter.update(c)
        return counter[verdict] / (sum(counter.values()) or 1)

    every: Counter[str] = Counter()
    for c in counts.values():
        every.update(c)
    print(f"false-regression rate (no change):  {share(1.0, 'regression'):.4f}  (target <= 0.01)")
    print(f"detection rate, -5 %:               {share(0.95, 'regression'):.3f}  (target >= 0.9)")
    print(f"detection rate, -12 %:              {share(0.88, 'regression'):.3f}  (target >= 0.99)")
    print(f"detection rate, +8 % (improvement): {share(1.08, 'improvement'):.3f}")
    print(
        f"share inconclusive (all items):     "
        f"{every['inconclusive'] / (sum(every.values()) or 1):.3f}"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-reruns", type=int, default=6)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    quiet = [plan for plan in FLEET if plan.noise == QUIET]
    noisy = [plan for plan in FLEET if plan.noise == NOISY]
    candidates = []
    for i in range(arguments.candidates):
        truth = TRUTHS[i % len(TRUTHS)]
        plans = quiet if (i // len(TRUTHS)) % 2 == 0 else noisy
        candidates.append(Candidate(plans[(i // 8) % len(plans)], truth, pull_request=1000 + i))

    with (
        running_stack(name="gate", redis_db=BROKER_DB, worker_concurrency=2) as stack,
        httpx.Client(
            base_url=stack.url, headers={"Authorization": f"Bearer {stack.token}"}, timeout=60
        ) as client,
    ):
        started = time.monotonic()
        ids = [post(client, history_body(night)) for night in range(NIGHTS)]
        for submission_id in ids:
            while client.get(f"/api/v1/submissions/{submission_id}").json()["status"] != (
                "processed"
            ):
                time.sleep(0.05)
        print(
            f"history: {NIGHTS} nights x {len(FLEET)} configs in "
            f"{time.monotonic() - started:.1f} s (last night {night_timestamp(NIGHTS - 1)})"
        )
        first: dict[Candidate, dict[str, Any]] = {}
        settled: dict[Candidate, dict[str, Any]] = {}
        first_latencies: list[float] = []
        rerun_latencies: list[float] = []
        reruns = 0
        for candidate in candidates:
            verdict = judged(client, candidate, 0, rng, first_latencies)
            first[candidate] = verdict
            runs = 1
            while verdict["verdict"] == "inconclusive" and verdict["repeats_needed"]:
                batch = min(verdict["repeats_needed"], arguments.max_reruns + 1 - runs)
                if batch <= 0:
                    break
                for _ in range(batch):  # the reruns a CI job starts at once
                    verdict = judged(client, candidate, runs, rng, rerun_latencies)
                    runs += 1
                    reruns += 1
            settled[candidate] = verdict
    counted = sum(len(throughput_items(verdict["items"])) for verdict in first.values())
    print(
        f"{len(candidates)} candidates ({len(candidates) // len(TRUTHS)} per truth, half on quiet "
        f"tracks, half on noisy), {counted} throughput items; "
        f"{reruns} reruns posted on the verdicts' advice"
    )
    report("first run of each candidate (item verdicts):", first)
    report(
        f"after the reruns the verdict asked for (repeats combined, at most "
        f"{arguments.max_reruns} more runs):",
        settled,
    )
    latencies = first_latencies + rerun_latencies
    print(
        f"\ntime from a candidate's POST to its verdict, {len(latencies)} posts: "
        f"median {statistics.median(latencies):.3f} s, p95 {percentile(latencies, 0.95):.3f} s, "
        f"max {max(latencies):.3f} s  (target p95 < 5 s)"
    )


if __name__ == "__main__":
    main()
