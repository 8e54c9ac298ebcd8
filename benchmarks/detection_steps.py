"""Step-series benchmark: our detector beside Apache Otava and MongoDB's E-divisive.

The series, the scoring (precision / recall / F1, one-to-one matching within ±5 runs) and
the anchors' runs are those of the shared anchor benchmark (`bench_detectors.py`): its
generator and scorer are imported, not copied, and the anchors run in it, in their own
virtual environment (.venv-anchors, see the anchors' README), while ours runs here in
the project's. Time per series = median over series of the per-series median of 3 runs.

    python -m benchmarks.detection_steps                       # n = 100, 500, 2,000, 10,000
    python -m benchmarks.detection_steps --quick               # n = 100, 500; 5 series
    python -m benchmarks.detection_steps --skip-slow-anchors   # no MongoDB E-divisive at 10,000

Targets: our F1 >= 0.95 at every n; our median time <= Otava's and >= 20x below
MongoDB E-divisive's (where it finishes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # the anchors run single-threaded too

from tests.support.data import ROOT  # noqa: E402
from tracker.detection import detect_change_points  # noqa: E402

REPO = ROOT

DEFAULT_ANCHORS_DIR = ROOT / "benchmarks" / "anchors"
DEFAULT_ANCHORS_PYTHON = REPO / ".venv-anchors" / "bin" / "python"
ANCHOR_TOOLS = ("otava", "edivisive_mongodb")
SLOW_ANCHOR = "edivisive_mongodb"
SLOW_ANCHOR_SKIPPED_FROM = 10_000
REPEATS = 3
OURS = "frontier_tracker"
F1_TARGET = 0.95
MONGODB_SPEEDUP_TARGET = 20.0
HEADER = (
    "| tool | n | precision | recall | F1 | TP | detected | true | FP/series "
    "| FP within ±5 of an outlier | median time/series |"
)

Results = dict[str, dict[str, dict[str, Any]]]  # tool -> n -> the anchor benchmark's row


def load_anchor_bench(anchors_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_detectors", anchors_dir / "bench_detectors.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"no bench_detectors.py in {anchors_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure_ours(bench: ModuleType, sizes: list[int], series: int) -> dict[str, dict[str, Any]]:
    """Score and time our retrospective detector as the anchor benchmark does its tools."""
    detect_change_points([1000.0 + (i % 7) for i in range(60)] + [900.0] * 60)  # warm up
    results: dict[str, dict[str, Any]] = {}
    for n in sizes:
        tp = detected = true = fp_near_outlier = 0
        times: list[float] = []
        for index in range(series):
            values, truth, _magnitudes, outliers, _noise = bench.make_series(n, index)
            runs = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                found = sorted(detect_change_points(values))
                runs.append(time.perf_counter() - started)
            times.append(statistics.median(runs))
            hit = bench.match(found, truth)
            matched = bench._matched_detections(found, truth)
            tp += len(hit)
            detected += len(found)
            true += len(truth)
            fp_near_outlier += sum(
                1
                for i, point in enumerate(found)
                if i not in matched
                and any(
                    abs(point - o) <= bench.TOLERANCE or abs(point - o - 1) <= bench.TOLERANCE
                    for o in outliers
                )
            )
        precision, recall, f1 = bench.prf(tp, detected, true)
        results[str(n)] = {
            "status": "ok",
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "tp": tp,
            "detected": detected,
            "true": true,
            "fp": detected - tp,
            "fp_per_series": (detected - tp) / series,
            "fp_near_outlier": fp_near_outlier,
            "median_time": statistics.median(times),
            "max_time": max(times),
        }
        print(
            f"{OURS:20s} n={n:6d} P={precision:.2f} R={recall:.2f} F1={f1:.2f} "
            f"t_med={bench.fmt_time(statistics.median(times))}",
            flush=True,
        )
    return results


def measure_anchors(args: argparse.Namespace, sizes: list[int]) -> Results:
    """Run the shared anchor benchmark in the anchors' venv; return its results per tool and n."""
    results: Results = {}
    with tempfile.TemporaryDirectory() as outdir:
        for tool in args.anchors:
            tool_sizes = [
                n
                for n in sizes
                if not (
                    args.skip_slow_anchors and tool == SLOW_ANCHOR and n >= SLOW_ANCHOR_SKIPPED_FROM
                )
            ]
            if not tool_sizes:
                continue
            command = [
                str(args.anchors_python),
                str(args.anchors_dir / "bench_detectors.py"),
                "--tools",
                tool,
                "--sizes",
                *map(str, tool_sizes),
                "--series",
                str(args.series),
                "--outdir",
                outdir,
                "--merge",
            ]
            subprocess.run(command, check=True, cwd=args.anchors_dir, stdout=sys.stderr)
        path = Path(outdir) / "bench_results.json"
        if path.exists():
            results = json.loads(path.read_text())["results"]
    return results


def render(results: Results, sizes: list[int], fmt_time: Callable[[float], str]) -> str:
    lines = [HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tool, by_size in results.items():
        for n in sizes:
            row = by_size.get(str(n))
            if row is None:
                lines.append(f"| {tool} | {n} | not run | | | | | | | | |")
            elif row["status"] != "ok":
                lines.append(f"| {tool} | {n} | {row['status']} | | | | | | | | |")
            else:
                cells = [
                    tool,
                    n,
                    f"{row['precision']:.2f}",
                    f"{row['recall']:.2f}",
                    f"{row['f1']:.3f}",
                    row["tp"],
                    row["detected"],
                    row["true"],
                    f"{row['fp_per_series']:.1f}",
                    f"{row['fp_near_outlier']}/{row['fp']}",
                    fmt_time(row["median_time"]),
                ]
                lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def verdicts(results: Results, sizes: list[int], fmt_time: Callable[[float], str]) -> list[str]:
    lines = [
        "| n | our F1 | F1 >= 0.95 | ours / Otava time | <= Otava | MongoDB / ours time | >= 20x |",
        "|---:|---:|---|---:|---|---:|---|",
    ]
    ours = results[OURS]
    for n in sizes:
        mine = ours[str(n)]
        cells = [str(n), f"{mine['f1']:.3f}", "met" if mine["f1"] >= F1_TARGET else "MISSED"]
        for tool, want_ratio in (("otava", None), (SLOW_ANCHOR, MONGODB_SPEEDUP_TARGET)):
            row = results.get(tool, {}).get(str(n))
            if not row or row.get("status") != "ok":
                status = row["status"] if row else "not run"
                cells += [f"- ({status})", "-"]
                continue
            if want_ratio is None:
                ratio = mine["median_time"] / row["median_time"]
                cells += [f"{ratio:.3f}", "met" if ratio <= 1.0 else "MISSED"]
            else:
                ratio = row["median_time"] / mine["median_time"]
                cells += [f"{ratio:.0f}x", "met" if ratio >= want_ratio else "MISSED"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 500, 2000, 10000])
    parser.add_argument(
        "--series", type=int, default=10, help="series per length (default 10, as the anchors)"
    )
    parser.add_argument("--quick", action="store_true", help="n = 100 and 500, 5 series each")
    parser.add_argument(
        "--skip-slow-anchors",
        action="store_true",
        help=f"do not run {SLOW_ANCHOR} at n >= {SLOW_ANCHOR_SKIPPED_FROM} (it times out there)",
    )
    parser.add_argument(
        "--anchors",
        nargs="*",
        default=list(ANCHOR_TOOLS),
        help="anchor tools to run beside ours (none: ours only)",
    )
    parser.add_argument("--anchors-dir", type=Path, default=DEFAULT_ANCHORS_DIR)
    parser.add_argument("--anchors-python", type=Path, default=DEFAULT_ANCHORS_PYTHON)
    parser.add_argument("--json", type=Path, help="also write all results to this file")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.series = [100, 500], 5
    bench = load_anchor_bench(args.anchors_dir)
    results = {OURS: measure_ours(bench, args.sizes, args.series)}
    if args.anchors:
        results.update(measure_anchors(args, args.sizes))
    print()
    print(
        f"Step series of {args.anchors_dir / 'bench_detectors.py'}: {args.series} per n, "
        f"±{bench.TOLERANCE} runs; time = median over series of the median of {REPEATS} runs."
    )
    print()
    print(render(results, args.sizes, bench.fmt_time))
    print()
    print("\n".join(verdicts(results, args.sizes, bench.fmt_time)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
