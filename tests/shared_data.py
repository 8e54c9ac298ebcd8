"""Where the shared material is: `../shared` from the project root, as the brief lays it out.

A clone elsewhere (a CI runner's scratch directory) finds it through `TRACKER_SHARED_DIR` or the
workplace's fixed location.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    candidates = [ROOT.parent / "shared", Path("/work/shared")]
    if os.environ.get("TRACKER_SHARED_DIR"):
        candidates.insert(0, Path(os.environ["TRACKER_SHARED_DIR"]))
    for candidate in candidates:
        if (candidate / "samples").is_dir():
            return candidate
    raise FileNotFoundError(
        f"the shared material is in none of {[str(c) for c in candidates]}; set TRACKER_SHARED_DIR"
    )


SHARED = _shared_dir()
