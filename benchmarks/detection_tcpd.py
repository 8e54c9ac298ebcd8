"""TCPD (Turing Change Point Dataset) score of our retrospective detector.

Runs the scorer in the test data (`tests/data/tcpd/eval.py`, written from van den Burg & Williams,
"An Evaluation of Change Point Detection Algorithms", arXiv:2003.06222) on
`tracker.detection:detect_change_points` with its default options, the same ones every
track gets, and prints its report (per series, the headline mean over the univariate
series present, and the published default scores of the reference methods on the same
series), then the targets.

    python -m benchmarks.detection_tcpd [--tcpd-dir PATH]

Targets: F1 >= 0.72 and cover >= 0.70 (published best defaults on these series: binseg
F1 0.690 / cover 0.655; no change at all: 0.647 / 0.557).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.data import ROOT, TCPD

REPO = ROOT
DEFAULT_TCPD_DIR = TCPD
DETECTOR = "tracker.detection:detect_change_points"
F1_TARGET = 0.72
COVER_TARGET = 0.70


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tcpd-dir", type=Path, default=DEFAULT_TCPD_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scores = Path(scratch) / "tcpd.json"
        command = [sys.executable, str(args.tcpd_dir / "eval.py"), DETECTOR, "--json", str(scores)]
        subprocess.run(command, check=True, cwd=REPO)  # cwd puts `tracker` on eval.py's path
        headline = json.loads(scores.read_text())["headline"]
    f1, cover = headline["f1"], headline["cover"]
    print()
    print(
        f"Ours on the {headline['n']} TCPD univariate series present: F1 = {f1:.4f} "
        f"({'met' if f1 >= F1_TARGET else 'MISSED'}, target >= {F1_TARGET}), cover = {cover:.4f} "
        f"({'met' if cover >= COVER_TARGET else 'MISSED'}, target >= {COVER_TARGET})"
    )


if __name__ == "__main__":
    main()
