"""Speed of nightly detection, and equality of the nightly (incremental) and full paths.

1. Append cost: a track of 1,000 runs gets one run a night for 512 nights; each night
   calls `analyse_incremental` with the state persisted the night before (JSON round trip
   included, as a worker stores it in a column). Cost = total / nights (amortised: it
   includes the checkpoints every 256 runs).
2. A night of one engine: 1,000 tracks of 30 to 1,000 runs each get one run; all are
   re-analysed with their persisted states (and, for comparison, from scratch).
3. Equality: on seeded tracks of up to 2,500 runs, fed in chunks of random sizes, the
   nightly answer must equal `analyse` of the whole history after every chunk.

    python -m benchmarks.detection_speed [--tracks 1000] [--equality-tracks 200]

Targets: append < 1 ms amortised at 1,000 runs; a night of 1,000 tracks < 1 s; no
difference between the two paths.
"""

from __future__ import annotations

import argparse
import json
import os
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from tracker.detection import TrackState, analyse, analyse_incremental  # noqa: E402

APPEND_TARGET_S = 1e-3
NIGHT_TARGET_S = 1.0


def benchmark_track(seed: int, runs: int) -> list[float]:
    """Nightly throughput: ~1-3 % noise, a step every ~150 runs, 1 % bad nights."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0.01, 0.03)
    level = np.ones(runs)
    for start in np.flatnonzero(rng.random(runs) < 1 / 150):
        level[start:] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.03, 0.25)
    values = 1000 * level * (1 + noise * rng.standard_normal(runs))
    bad = rng.random(runs) < 0.01
    values[bad] *= 1 - rng.uniform(0.15, 0.40, bad.sum())
    return [float(v) for v in values]


def persisted(state: TrackState) -> TrackState:
    return TrackState.from_dict(json.loads(json.dumps(state.to_dict())))


def append_cost(history_runs: int, nights: int) -> tuple[float, float]:
    values = benchmark_track(1, history_runs + nights)
    _analysis, state = analyse_incremental(
        values[:history_runs], previous=None, higher_is_better=True
    )
    started = time.perf_counter()
    for runs in range(history_runs + 1, history_runs + nights + 1):
        _analysis, state = analyse_incremental(
            values[:runs], previous=persisted(state), higher_is_better=True
        )
    incremental = (time.perf_counter() - started) / nights
    started = time.perf_counter()
    for runs in range(history_runs + 1, history_runs + nights + 1, 16):
        analyse(values[:runs], higher_is_better=True)
    full = (time.perf_counter() - started) / len(
        range(history_runs + 1, history_runs + nights + 1, 16)
    )
    return incremental, full


def night(tracks: int) -> tuple[float, float, int]:
    rng = np.random.default_rng(7)
    lengths = rng.integers(30, 1001, tracks)
    histories = [benchmark_track(100 + i, int(n) + 1) for i, n in enumerate(lengths)]
    states = [
        json.dumps(analyse_incremental(h[:-1], previous=None, higher_is_better=True)[1].to_dict())
        for h in histories
    ]
    started = time.perf_counter()
    for history, stored in zip(histories, states, strict=True):
        state = TrackState.from_dict(json.loads(stored))
        _analysis, state = analyse_incremental(history, previous=state, higher_is_better=True)
        json.dumps(state.to_dict())
    nightly = time.perf_counter() - started
    started = time.perf_counter()
    for history in histories:
        analyse(history, higher_is_better=True)
    scratch = time.perf_counter() - started
    return nightly, scratch, int(lengths.sum())


def equality(tracks: int) -> tuple[int, int]:
    checks = mismatches = 0
    for seed in range(tracks):
        rng = np.random.default_rng(10_000 + seed)
        values = benchmark_track(10_000 + seed, int(rng.integers(20, 2500)))
        state = None
        runs = int(rng.integers(1, 40))
        while True:
            analysis, new_state = analyse_incremental(
                values[:runs], previous=state, higher_is_better=True
            )
            state = persisted(new_state)
            checks += 1
            mismatches += analysis != analyse(values[:runs], higher_is_better=True)
            if runs == len(values):
                break
            runs = min(len(values), runs + int(rng.choice([1, 1, 1, 2, 7, 30, 300])))
    return checks, mismatches


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--history", type=int, default=1000, help="runs before the appended nights")
    parser.add_argument("--nights", type=int, default=512)
    parser.add_argument("--tracks", type=int, default=1000, help="tracks in one night")
    parser.add_argument("--equality-tracks", type=int, default=200)
    args = parser.parse_args()
    analyse(benchmark_track(0, 300), higher_is_better=True)  # warm up

    incremental, full = append_cost(args.history, args.nights)
    verdict = "met" if incremental < APPEND_TARGET_S else "MISSED"
    print(
        f"append one run to a track of {args.history} runs, amortised over {args.nights} "
        f"nights: {incremental * 1e3:.3f} ms ({verdict}, target < 1 ms); "
        f"full re-analysis of the same track: {full * 1e3:.3f} ms"
    )
    nightly, scratch, total_runs = night(args.tracks)
    verdict = "met" if nightly < NIGHT_TARGET_S else "MISSED"
    print(
        f"a night of {args.tracks} tracks (30-1,000 runs, {total_runs} runs in all), "
        f"one new run each: {nightly:.3f} s with persisted states ({verdict}, target < 1 s); "
        f"{scratch:.3f} s from scratch"
    )
    checks, mismatches = equality(args.equality_tracks)
    print(
        f"incremental vs full analysis: {mismatches} differences in {checks} comparisons over "
        f"{args.equality_tracks} seeded tracks ({'met' if mismatches == 0 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
