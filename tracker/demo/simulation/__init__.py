"""Synthetic nightly benchmark histories with known ground truth.

One generator serves the demo (`tracker demo`), the ingest benchmark and detector-quality replays:

    history = generate_history(seed=7, scale=DEMO)
    for body in history.submissions():   # POST /api/v1/submissions bodies, in time order
        ...
    history.true_changes, history.outliers, history.missing, history.quiet_configs

Configs in the ground truth are `ConfigKey`s: the canonical config of docs/configs.md after
normalisation; `key.as_dict()` is what the API reports as a series' `config`.
"""

from tracker.demo.simulation.configs import ConfigKey
from tracker.demo.simulation.history import (
    BENCHMARK,
    DEFAULT_START,
    DEMO,
    SMALL,
    History,
    HistoryScale,
    MissingRun,
    Night,
    Outlier,
    TrueChange,
    TrueDrift,
    TrueLatency,
    TrueRankFlip,
    TrueStale,
    generate_history,
)
from tracker.demo.simulation.rows import JsonObject, PlannedSubmission

__all__ = [
    "BENCHMARK",
    "DEFAULT_START",
    "DEMO",
    "SMALL",
    "ConfigKey",
    "History",
    "HistoryScale",
    "JsonObject",
    "MissingRun",
    "Night",
    "Outlier",
    "PlannedSubmission",
    "TrueChange",
    "TrueDrift",
    "TrueLatency",
    "TrueRankFlip",
    "TrueStale",
    "generate_history",
]
