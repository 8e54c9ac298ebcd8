"""Pure change-point statistics over a track (one metric of one config, in run order).

No ORM, no network, no settings: functions over sequences of floats returning frozen
dataclasses. `analyse` gives a track's change points, suspected changes and outlier runs;
`analyse_incremental` gives the same answer while reusing the persisted `TrackState` of
the previous night; `detect_change_points` is the plain retrospective detector that the
benchmarks compare with the anchor tools.
"""

from tracker.detection.errors import DetectionError, InvalidOptions, InvalidState, InvalidTrack
from tracker.detection.results import ChangePoint, DetectionOptions, Direction, TrackAnalysis
from tracker.detection.state import TrackState
from tracker.detection.track import analyse, analyse_incremental, detect_change_points

__all__ = [
    "ChangePoint",
    "DetectionError",
    "DetectionOptions",
    "Direction",
    "InvalidOptions",
    "InvalidState",
    "InvalidTrack",
    "TrackAnalysis",
    "TrackState",
    "analyse",
    "analyse_incremental",
    "detect_change_points",
]
