"""ORM models: the stored record of submissions, series, detection and alerts.

One module per concept; everything is importable from `tracker.models`.
"""

from tracker.models.alerts import (
    Alert,
    AlertDelivery,
    AlertRelation,
    AlertState,
    AlertStateChange,
    DeliveryStatus,
    DigestPost,
)
from tracker.models.base import Base
from tracker.models.detection import ChangeDirection, ChangePoint, ChangeState, Track
from tracker.models.ingest import (
    ApiToken,
    Config,
    FrontierValue,
    Metric,
    ResultRow,
    SourceRun,
    Submission,
    SubmissionStatus,
    Sweep,
    TokenScope,
)

__all__ = [
    "Alert",
    "AlertDelivery",
    "AlertRelation",
    "AlertState",
    "AlertStateChange",
    "ApiToken",
    "Base",
    "ChangeDirection",
    "ChangePoint",
    "ChangeState",
    "Config",
    "DeliveryStatus",
    "DigestPost",
    "FrontierValue",
    "Metric",
    "ResultRow",
    "SourceRun",
    "Submission",
    "SubmissionStatus",
    "Sweep",
    "TokenScope",
    "Track",
]
