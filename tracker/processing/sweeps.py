"""Processing sweeps whose rows are all in: frontier values, detection on their tracks, the
configs' latest-sweep pointers (docs/data-flow.md#processing-a-submission)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tracker.detection import DetectionOptions
from tracker.detection.drift import DriftOptions
from tracker.processing.change_points import DetectionOutcome, detect_on_tracks
from tracker.processing.frontier_values import SweepRow, write_frontier_values
from tracker.processing.latest_sweeps import advance_latest_sweeps
from tracker.processing.tracks import TrackKey, ensure_tracks


@dataclass(frozen=True)
class ProcessingOptions:
    """What processing needs from the settings."""

    targets: Sequence[float]
    detection: DetectionOptions
    max_failed_fraction: float
    report_pull_requests: bool = False
    """Candidates of a pull request on GitHub queue its report (a GitHub token is set)."""
    drift: DriftOptions | None = None  # None: drift is not assessed


def process_sweeps(
    *,
    session: Session,
    sweeps: Sequence[SweepRow],
    options: ProcessingOptions,
    now: datetime,
    detect: bool,
    full_detection: bool = False,
    also_tracks: Iterable[TrackKey] = (),
) -> DetectionOutcome | None:
    """Write the sweeps' frontier values; then, with `detect`, run detection on every track they
    touched (and on `also_tracks`: tracks that lost a value when sweeps were processed again),
    from scratch with `full_detection`; last, point each config at its newest sweep with a
    frontier value. Never commits."""
    written = write_frontier_values(
        session=session,
        sweeps=sweeps,
        targets=options.targets,
        max_failed_fraction=options.max_failed_fraction,
    )
    detection = None
    if detect:
        keys = written.track_keys | set(also_tracks)
        track_ids = list(ensure_tracks(session=session, keys=keys).ids.values())
        detection = detect_on_tracks(
            session=session,
            track_ids=track_ids,
            options=options.detection,
            drift=options.drift,
            now=now,
            full=full_detection,
        )
    # Last, so that the config rows it locks are held only until the commit.
    advance_latest_sweeps(
        session=session,
        sweeps=[
            (sweep.config_id, sweep.id, sweep.timestamp)
            for sweep in sweeps
            if sweep.id in written.sweeps_with_values
        ],
    )
    return detection
