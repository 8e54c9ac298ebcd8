"""The quiet-night path: a window without candidates stops before pruning, and says what the
full path (pruning and locating, under either noise model) would have said."""

from __future__ import annotations

import numpy as np

from tracker.detection import DetectionOptions
from tracker.detection.window import WindowFindings, analyse_window, kept_shifts, screen_window

from .conftest import make_history

OPTIONS = DetectionOptions()


def full_path(values: np.ndarray) -> WindowFindings:
    """Every step of the window's analysis, the candidates tested even when there are none."""
    screened = screen_window(values, 0)
    if screened is None:
        return WindowFindings(shifts=(), outliers=())
    return WindowFindings(shifts=kept_shifts(screened, 0, OPTIONS), outliers=screened.outliers)


def test_the_quiet_path_reports_what_the_full_path_reports() -> None:
    # Noisy nightly histories with steps and bad nights, every night's window from the start.
    quiet = stepped = 0
    for seed in range(20):
        values = np.asarray(make_history(seed, 200))
        for runs in range(2, values.size + 1):
            window = values[:runs]
            screened = screen_window(window, 0)
            quiet += screened is not None and screened.candidates.size == 0
            findings = analyse_window(window, 0, OPTIONS)
            stepped += bool(findings.shifts)
            assert findings == full_path(window), (seed, runs)
    # Both paths were taken: windows without candidates, and windows with steps found.
    assert quiet > 100
    assert stepped > 100
