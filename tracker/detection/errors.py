"""Errors raised by change-point detection for inputs it cannot analyse."""

from __future__ import annotations


class DetectionError(ValueError):
    """Base class of the detection package's input errors."""


class InvalidTrack(DetectionError):
    """Values or timestamps that do not form a track (non-finite values, unordered timestamps)."""


class InvalidOptions(DetectionError):
    """Detection options outside their meaningful range."""


class InvalidState(DetectionError):
    """A persisted TrackState that cannot be read back (wrong shape or unknown version)."""
