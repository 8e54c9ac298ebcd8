"""The tracker's enumerated words, used end to end: stored by value, sent on the wire, compared in
code. Pure (no ORM), so that the message builders and the API share them with the models."""

from __future__ import annotations

import enum


class TokenScope(enum.StrEnum):
    """What an API token may do; `admin` includes the others."""

    SUBMIT = "submit"
    TRIAGE = "triage"
    ADMIN = "admin"


class SubmissionStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    PROCESSED = "processed"
    FAILED = "failed"


class Metric(enum.StrEnum):
    """What is read off a sweep's front at each target interactivity, every one tracked by
    change-point detection: throughputs (higher is better), and the latency and energy of the
    front's points there (higher is worse; docs/frontier.md#latency-and-energy)."""

    TPUT_PER_GPU = "tput_per_gpu"
    OUTPUT_TPUT_PER_GPU = "output_tput_per_gpu"
    MEDIAN_TTFT = "median_ttft"  # seconds
    P99_TTFT = "p99_ttft"  # seconds
    JOULES_PER_TOKEN = "joules_per_token"  # noqa: S105 (joules per output token)

    @property
    def higher_is_better(self) -> bool:
        return self in THROUGHPUT_METRICS


THROUGHPUT_METRICS = frozenset({Metric.TPUT_PER_GPU, Metric.OUTPUT_TPUT_PER_GPU})
"""The metrics whose front they are read off is their own; the others are read along the
`tput_per_gpu` front."""


class NoValuesReason(enum.StrEnum):
    """Why a processed sweep has no frontier value (docs/frontier.md#sweeps-without-values)."""

    ONE_POINT = "one_point"  # its front has a single point: nothing to interpolate
    DEGRADED = "degraded"  # failed requests left fewer than two points on the front
    BELOW_TARGETS = "below_targets"  # the front ends below the lowest target
    ABOVE_TARGETS = "above_targets"  # the front starts above the highest target
    BETWEEN_TARGETS = "between_targets"  # the front lies between two targets


class ChangeDirection(enum.StrEnum):
    REGRESSION = "regression"
    GAIN = "gain"


class ChangeState(enum.StrEnum):
    CONFIRMED = "confirmed"
    RETRACTED = "retracted"


class AlertState(enum.StrEnum):
    """An alert's triage state (docs/alerts.md#triage-states)."""

    UNTRIAGED = "untriaged"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    EXPECTED = "expected"
    INVALID = "invalid"
    FIXED = "fixed"
    IMPROVEMENT = "improvement"
    RETRACTED = "retracted"  # set by the tracker when every change of the alert is retracted
    RESOLVED = "resolved"  # set by the tracker when a stale or drift alert ended on its own


TRACKER_STATES = (AlertState.RETRACTED, AlertState.RESOLVED)
"""The states only the tracker sets."""

TRIAGE_STATES = tuple(state for state in AlertState if state not in TRACKER_STATES)
"""The states people may set; `retracted` and `resolved` are the tracker's alone."""


class AlertKind(enum.StrEnum):
    """What an alert tells of (docs/alerts.md#kinds)."""

    STEP = "step"  # confirmed change points of one engine whose commit ranges overlap
    STALE = "stale"  # configs of one engine that stopped reporting while the engine goes on
    DRIFT = "drift"  # a slice whose level slid past the drift threshold in steps below it
    RANK = "rank"  # the leader at a target interactivity changed


ENDS_ON_ITS_OWN = (AlertKind.STALE, AlertKind.DRIFT)
"""Kinds the tracker marks `resolved` when what they tell of is over."""


class RelationKind(enum.StrEnum):
    """How a related alert stands to this one: this one fixes it, or is fixed by it."""

    FIXES = "fixes"
    FIXED_BY = "fixed_by"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # an attempt began: it may have reached Slack (resume, never resend)
    SENT = "sent"
    FAILED = "failed"


class SubmissionPurpose(enum.StrEnum):
    """Why a run was posted: the tracked history, a bisection's run at one commit, or a
    candidate (a pull request's run, or one of a branch the engine does not track); the last
    two never enter tracks, change points or alerts."""

    HISTORY = "history"
    BISECT = "bisect"
    CANDIDATE = "candidate"


class BisectionState(enum.StrEnum):
    LISTING = "listing"  # asking the repository host for the commits of the range
    RUNNING = "running"
    FOUND = "found"  # one commit remains: the culprit
    NARROWED = "narrowed"  # the budget is spent, or runs could not decide: several remain
    STOPPED = "stopped"  # by triage
    FAILED = "failed"  # the host refused for good (token, repository, workflow)


class BisectionStepState(enum.StrEnum):
    PENDING = "pending"  # due to be dispatched
    DISPATCHING = "dispatching"  # a dispatch is in flight (leased)
    DISPATCHED = "dispatched"  # the engine's CI was asked; its result has not come
    ANSWERED = "answered"  # its result came and was judged


class Verdict(enum.StrEnum):
    """How a bisection run at one commit reads against the levels around the change."""

    BEFORE = "before"
    AFTER = "after"
    INCONCLUSIVE = "inconclusive"


class CandidateVerdict(enum.StrEnum):
    """How a candidate run reads against the tracked branch on one track, or overall (the
    worst item, in the order below)."""

    REGRESSION = "regression"
    INCONCLUSIVE = "inconclusive"
    NO_BASELINE = "no_baseline"
    UNCHANGED = "unchanged"
    IMPROVEMENT = "improvement"


CANDIDATE_VERDICT_ORDER = tuple(CandidateVerdict)
"""Worst first: the overall verdict is the first of these any item has."""
