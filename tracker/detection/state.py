"""What a worker persists per track between nights, as a JSON-ready frozen dataclass."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from tracker.detection.arrays import FloatArray
from tracker.detection.errors import InvalidState
from tracker.detection.results import ChangePoint, DetectionOptions, Direction

# Bump when a change to the method would give another answer on the same values: states
# written by another version are then ignored and the track is analysed from scratch.
STATE_VERSION = 2


def history_digest(values: FloatArray, timestamps: FloatArray | None) -> str:
    """SHA-256 of the runs a state summarises, so a rewritten history is noticed."""
    digest = hashlib.sha256(np.ascontiguousarray(values, dtype="<f8").tobytes())
    if timestamps is not None:
        digest.update(b"timestamps")
        digest.update(np.ascontiguousarray(timestamps, dtype="<f8").tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class TrackState:
    """The settled part of a track's analysis after its first `checkpoint` runs.

    Runs before `window_start` are settled: their change points and outliers are kept
    as they are, and later nights re-analyse only `values[window_start:]`. `digest`
    identifies the first `checkpoint` values (and timestamps); a state whose digest,
    options or version do not match the values passed back is ignored, and the track is
    analysed from scratch, which gives the same answer.
    """

    version: int
    options: DetectionOptions
    higher_is_better: bool
    checkpoint: int
    window_start: int
    digest: str
    settled_change_points: tuple[ChangePoint, ...]
    settled_outliers: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists, numbers and strings: ready for json.dumps or a JSON column.

        Every float is finite except a relative change from a level of exactly zero
        (infinite), which positive throughputs never produce.
        """
        return {
            "version": self.version,
            "options": {
                field.name: getattr(self.options, field.name) for field in fields(self.options)
            },
            "higher_is_better": self.higher_is_better,
            "checkpoint": self.checkpoint,
            "window_start": self.window_start,
            "digest": self.digest,
            "settled_change_points": [
                {
                    "index": point.index,
                    "first": point.first,
                    "last": point.last,
                    "before": point.before,
                    "after": point.after,
                    "relative_change": point.relative_change,
                    "p_value": point.p_value,
                    "direction": point.direction.value,
                    "timestamp": point.timestamp,
                }
                for point in self.settled_change_points
            ],
            "settled_outliers": list(self.settled_outliers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackState:
        """Inverse of to_dict; raises InvalidState on anything else."""
        try:
            return cls(
                version=int(data["version"]),
                options=DetectionOptions(**data["options"]),
                higher_is_better=bool(data["higher_is_better"]),
                checkpoint=int(data["checkpoint"]),
                window_start=int(data["window_start"]),
                digest=str(data["digest"]),
                settled_change_points=tuple(
                    ChangePoint(
                        index=int(point["index"]),
                        first=int(point["first"]),
                        last=int(point["last"]),
                        before=float(point["before"]),
                        after=float(point["after"]),
                        relative_change=float(point["relative_change"]),
                        p_value=float(point["p_value"]),
                        direction=Direction(point["direction"]),
                        timestamp=None if point["timestamp"] is None else float(point["timestamp"]),
                    )
                    for point in data["settled_change_points"]
                ),
                settled_outliers=tuple(int(i) for i in data["settled_outliers"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidState(f"not a TrackState: {exc}") from exc
