"""ORM models: the stored record of submissions, series, detection and alerts.

One module per concept; every model is importable from `tracker.models`. The enumerations the
columns store are in `tracker.vocabulary`.
"""

from tracker.models.alerts import (
    Alert,
    AlertDelivery,
    AlertRelation,
    AlertStateChange,
    DigestPost,
    RankCheck,
    RankStanding,
)
from tracker.models.base import Base
from tracker.models.bisection import Bisection, BisectionStep
from tracker.models.detection import ChangePoint, Track
from tracker.models.series import (
    CandidateFrontierValue,
    Config,
    FrontierValue,
    ResultRow,
    Sweep,
)
from tracker.models.submissions import (
    ApiToken,
    PullRequestReport,
    SourceRun,
    Submission,
    SweepAssembly,
)

__all__ = [
    "Alert",
    "AlertDelivery",
    "AlertRelation",
    "AlertStateChange",
    "ApiToken",
    "Base",
    "Bisection",
    "BisectionStep",
    "CandidateFrontierValue",
    "ChangePoint",
    "Config",
    "DigestPost",
    "FrontierValue",
    "PullRequestReport",
    "RankCheck",
    "RankStanding",
    "ResultRow",
    "SourceRun",
    "Submission",
    "Sweep",
    "SweepAssembly",
    "Track",
]
