"""The wire: every body and answer of the HTTP API as pydantic models (docs/api.md).

Separate from the ORM models and from the domain's reads, which return dataclasses of the same
field names: routes return those, and FastAPI validates them against these models (which give
the OpenAPI document its descriptions). The submission body is validated by ingest itself
(`tracker.ingest.body`), since it is read raw; it is re-exported here for the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, Field, create_model, field_validator

from tracker.configs.fields import CONFIG_FIELD_TYPES
from tracker.ingest.body import SourceIn, SubmissionIn
from tracker.reads.pagination import Page
from tracker.reads.pricing import PriceSet
from tracker.reads.series import ValuesByTarget
from tracker.reads.trend import TrendMetric
from tracker.storable import unstorable_reason
from tracker.vocabulary import (
    TRIAGE_STATES,
    AlertKind,
    AlertState,
    BisectionState,
    BisectionStepState,
    CandidateVerdict,
    ChangeDirection,
    ChangeState,
    DeliveryStatus,
    Metric,
    NoValuesReason,
    SubmissionStatus,
    Verdict,
)

__all__ = ["SourceIn", "SubmissionIn"]  # validated by ingest, documented here

Item = TypeVar("Item")


def _storable(text: str) -> str:
    reason = unstorable_reason(text)
    if reason is not None:
        raise ValueError(reason)
    return text


StorableText = Annotated[str, AfterValidator(_storable)]
"""A string of a JSON body that is stored: refused (422) when the database cannot store it."""


ConfigView: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "ConfigView",
    __doc__="A configuration's canonical fields (docs/configs.md), derived `gpus` and `wide_ep`.",
    **{name: (field_type | None, None) for name, field_type in CONFIG_FIELD_TYPES.items()},
)


class ItemsPage(BaseModel, Generic[Item]):
    items: list[Item]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class SkippedRow(BaseModel):
    index: int = Field(description="The row's index in `results`.")
    reason: str = Field(examples=["scenario agentic-coding is not analysed"])


class SubmissionWarning(BaseModel):
    loc: list[str | int] = Field(examples=[["results", 0, "hw"]])
    msg: str
    type: str = Field(examples=["hardware_unknown"])


class DegradedPoint(BaseModel):
    """A point left out of its sweep's fronts for failed requests (docs/frontier.md)."""

    conc: int
    failed: int
    requested: int
    failed_fraction: float
    requested_inferred: bool = Field(
        description="The row did not say how many requests it sent; its sweep's pattern did."
    )
    reason: str = Field(examples=["21 of 64 requests failed"])
    on_front: bool = Field(description="The front of all points held it: the night lost it.")


class SweepDegraded(BaseModel):
    points: list[DegradedPoint]
    withheld: dict[str, list[str]] = Field(
        description="Targets, by metric, whose value depended on a left-out point: not written."
    )


class DegradedSweepView(SweepDegraded):
    series_id: int
    sweep_id: int


class SweepWithoutValues(BaseModel):
    series_id: int
    sweep_id: int
    timestamp: datetime
    commit: str | None
    reason: NoValuesReason = Field(
        description="one_point, degraded (failed requests), below_targets, above_targets, "
        "between_targets."
    )


class SubmissionAccepted(BaseModel):
    id: int
    status: SubmissionStatus = Field(examples=["accepted"])
    results: int = Field(description="Result rows stored.")
    series: int = Field(description="Configs (series) the submission touched.")
    status_url: str = Field(examples=["/api/v1/submissions/17"])
    repeated: int = Field(
        description="Rows an earlier post of the same sweep key stored already (not stored again)."
    )
    sweep_key: str | None
    skipped: list[SkippedRow] = Field(
        description="Rows kept in the raw payload but not analysed, and why."
    )
    dropped: dict[str, int] = Field(
        description="Per-request lists dropped at ingest: name → rows it was dropped from.",
        examples=[{"ttfts": 3, "generated_texts": 3}],
    )
    warnings: list[SubmissionWarning] = Field(
        description="Accepted, but worth knowing: e.g. hardware the tracker does not know."
    )
    degraded: list[DegradedSweepView] = Field(
        description="Once processed: sweeps with points left out of their fronts for failed "
        "requests."
    )
    without_values: list[SweepWithoutValues] = Field(
        description="Once processed: sweeps that got no frontier value, and why."
    )


class SubmissionStatusView(SubmissionAccepted):
    error: str | None
    received_at: datetime
    processed_at: datetime | None


class LatestValues(BaseModel):
    timestamp: datetime
    commit: str | None
    sweep_id: int
    values: dict[str, ValuesByTarget] = Field(
        description="Frontier values by metric, then by target interactivity.",
        examples=[{"tput_per_gpu": {"35": 1843.2}, "output_tput_per_gpu": {"35": 921.6}}],
    )


class SeriesItem(BaseModel):
    id: int = Field(description="The series id (the config's id).")
    config: ConfigView
    latest: LatestValues | None = Field(
        description="From the newest sweep with any frontier value (by run timestamp)."
    )
    newer_sweep_without_values: SweepWithoutValues | None = Field(
        description="The newest processed sweep after it, when that sweep got no value."
    )
    last_change: ChangeView | None = Field(
        description="The series' latest confirmed change point (any metric or target)."
    )


class CommitRange(BaseModel):
    """The commits that may hold the cause: those after `from`, up to and including `to`."""

    from_: str | None = Field(
        alias="from",
        description="Commit (or image) of the last run before the change's location interval.",
    )
    to: str | None = Field(description="Commit (or image) of the last run of the interval.")
    compare_url: str | None
    runs_after: datetime = Field(description="Time of the run of `from` (excluded).")
    runs_through: datetime = Field(description="Time of the run of `to` (included).")

    model_config = {"populate_by_name": True}


class ChangeView(BaseModel):
    id: int
    series_id: int
    config: ConfigView
    metric: Metric
    interactivity: float
    direction: ChangeDirection
    run_timestamp: datetime = Field(
        description="Timestamp of the most likely first changed run (inside the commit range)."
    )
    sweep_id: int = Field(description="The most likely first changed sweep.")
    before: float
    after: float
    relative_change: float
    p_value: float
    commit_range: CommitRange
    components_changed: dict[str, list[str | None]] = Field(
        description="Component versions that differ: name → [before, after]."
    )
    state: ChangeState
    alert_id: int | None


class TrendPoint(BaseModel):
    timestamp: datetime
    sweep_id: int
    commit: str | None
    engine_version: str | None
    value: float
    outlier: bool = Field(description="A run the detector set aside as a one-off.")
    front_lost_points: list[int] = Field(
        description="Concurrencies failed requests took off this run's front (the value does "
        "not depend on them)."
    )


class WithheldRun(BaseModel):
    timestamp: datetime
    sweep_id: int
    commit: str | None
    reasons: list[str] = Field(examples=[["conc 16: 21 of 64 requests failed"]])


class SuspectedChange(BaseModel):
    timestamp: datetime
    direction: ChangeDirection
    relative_change: float


class Trend(BaseModel):
    series_id: int
    metric: TrendMetric
    interactivity: float
    price_set: PriceSet | None = Field(default=None, description="Only for cost_per_mtok.")
    higher_is_better: bool = Field(
        description="True for throughput; false for TTFT, energy and cost, where a rise is a "
        "regression."
    )
    points: list[TrendPoint]
    changes: list[ChangeView] = Field(description="Confirmed change points of this track.")
    suspected: list[SuspectedChange] = Field(
        description="Changes in the last runs, not yet confirmed by enough later runs."
    )
    withheld: list[WithheldRun] = Field(
        description="Runs without a value at this target because failed requests took points "
        "off their front that the value depends on."
    )


class SourceView(BaseModel):
    engine: str
    engine_version: str | None
    image: str | None
    commit: str | None
    repo: str | None
    branch: str | None
    run_key: str
    run_url: str | None
    timestamp: datetime
    components: dict[str, str]
    sweep_key: str | None


class SweepPointView(BaseModel):
    conc: int
    median_intvty: float
    tput_per_gpu: float
    output_tput_per_gpu: float | None
    median_ttft_s: float | None
    p99_ttft_s: float | None
    median_tpot_s: float | None
    median_e2el_s: float | None
    joules_per_output_token: float | None = Field(
        description="Only from rows with valid power fields (InferenceX)."
    )
    on_front: bool = Field(
        description="On the tput_per_gpu Pareto front (of the points that are not degraded)."
    )
    degraded: bool = Field(description="Left out of the fronts: failed requests.")


class SweepFrontier(BaseModel):
    tput_per_gpu: ValuesByTarget
    output_tput_per_gpu: ValuesByTarget
    median_ttft: ValuesByTarget = Field(
        description="Seconds, read along the tput_per_gpu front (as p99_ttft and joules_per_token)."
    )
    p99_ttft: ValuesByTarget
    joules_per_token: ValuesByTarget = Field(
        description="Joules per output token; empty when the rows carry no power fields."
    )
    cost_per_mtok: dict[str, ValuesByTarget] = Field(
        description="USD per million tokens by price set (hyperscaler, neocloud, rental)."
    )


class SweepView(BaseModel):
    id: int
    series_id: int
    source: SourceView
    points: list[SweepPointView]
    frontier: SweepFrontier
    components: dict[str, str]
    degraded: SweepDegraded | None = Field(
        description="Points left out of the fronts for failed requests and the targets withheld "
        "for them; null when none."
    )
    no_values_reason: NoValuesReason | None = Field(
        description="Why a processed sweep has no frontier value; null when it has one."
    )


class CompareItem(BaseModel):
    series_id: int
    config: ConfigView
    interactivity: float
    tput_per_gpu: float | None = Field(description="null when out of the front's range.")
    output_tput_per_gpu: float | None
    median_ttft: float | None = Field(
        description="Seconds, read along the tput_per_gpu front; null as tput_per_gpu, or when "
        "a front point lacks it."
    )
    p99_ttft: float | None = Field(description="Seconds, as median_ttft.")
    joules_per_token: float | None = Field(
        description="Joules per output token; null without power fields."
    )
    cost_per_mtok: dict[str, float | None]
    sweep_id: int | None
    commit: str | None
    timestamp: datetime | None


class DeliveryView(BaseModel):
    channel: str
    status: DeliveryStatus
    sent_at: datetime | None


class AlertView(BaseModel):
    id: int
    kind: AlertKind = Field(
        description="step (change points of one commit range), stale (configs that stopped "
        "reporting), drift (a slow slide in small steps) or rank (docs/alerts.md#kinds)."
    )
    engine: str
    commit_range: CommitRange
    state: AlertState = Field(
        description="`retracted` and `resolved` are set by the tracker alone."
    )
    summary: str = Field(description="The slice that moved (or stopped), in one line.")
    details: dict[str, Any] = Field(
        description="What a stale or drift alert tells of (configs and their last runs; tracks, "
        "their best level and the small steps); empty for a step alert."
    )
    regressions: int = Field(description="Confirmed change points that regressed.")
    gains: int = Field(description="Confirmed change points that gained.")
    series: int = Field(description="Series (configs) its confirmed change points touch.")
    change_ids: list[int]
    related_alert_ids: list[int] = Field(
        description="Alerts this one fixes or is fixed by (changes back to the old level)."
    )
    deliveries: list[DeliveryView]
    created_at: datetime


class StateChangeView(BaseModel):
    state: AlertState
    who: str
    note: str | None
    at: datetime


class BisectionCommitView(BaseModel):
    sha: str
    title: str = Field(description="The first line of its message.")
    pull_request: int | None = Field(description="The pull request a squash merge names.")


class BisectionStepView(BaseModel):
    number: int
    commit: BisectionCommitView
    rerun: bool = Field(description="A second run at a commit whose first was inconclusive.")
    state: BisectionStepState
    verdict: Verdict | None = Field(description="before, after or inconclusive, once judged.")
    evidence: float | None = Field(description="Log-likelihood ratio, before- against after-like.")
    dispatched_at: datetime | None
    submission_id: int | None = Field(description="The run posted back for this step.")
    last_error: str | None


class BisectionView(BaseModel):
    id: int
    state: BisectionState
    repository: str
    commits: int = Field(description="Commits in the alert's whole range.")
    remaining: list[BisectionCommitView] = Field(
        description="The commits that may still be the culprit, oldest first."
    )
    culprit: BisectionCommitView | None
    runs_used: int
    max_runs: int
    reason: str | None
    started_by: str
    created_at: datetime
    finished_at: datetime | None
    steps: list[BisectionStepView]


class AlertDetailView(AlertView):
    changes: list[ChangeView] = Field(description="Its change points, retracted ones included.")
    history: list[StateChangeView]
    bisection: BisectionView | None = Field(description="The alert's latest bisection.")


class TriageState(BaseModel):
    """The body of ``PATCH /api/v1/alerts/{id}``."""

    state: AlertState = Field(
        json_schema_extra={"enum": [state.value for state in TRIAGE_STATES]},
        description="untriaged, acknowledged, investigating, expected (the level after becomes "
        "the baseline; on a stale alert, its configs are retired on purpose and never alert "
        "again), invalid (its changes are suppressed), fixed, improvement; `retracted` and "
        "`resolved` are the tracker's alone.",
        examples=["acknowledged"],
    )
    note: StorableText | None = Field(default=None, max_length=4000, examples=["bisecting"])

    @field_validator("state")
    @classmethod
    def _not_retracted(cls, state: AlertState) -> AlertState:
        if state not in TRIAGE_STATES:
            raise ValueError(f"state '{state.value}' is set by the tracker, not by triage")
        return state


class DigestLineView(BaseModel):
    engine: str
    hardware: str
    family: dict[str, str | int | bool] = Field(
        description="model, precision, isl, osl, disagg, wide_ep, spec_method"
    )
    label: str = Field(examples=["dsr1 fp4 1k/1k disagg wide-EP mtp"])
    now: dict[str, float] = Field(description="Best tput/GPU of the family now, by target.")
    then: dict[str, float] = Field(description="The same, `days` ago.")
    relative_change: dict[str, float] = Field(description="now / then − 1, by target.")
    changes: list[ChangeView] = Field(description="The steps between, one per run.")


class DigestNoticeView(BaseModel):
    alert_id: int
    kind: AlertKind
    engine: str
    state: AlertState
    summary: str


class DigestView(BaseModel):
    days: int
    since: datetime
    generated_at: datetime
    lines: list[DigestLineView]
    notices: list[DigestNoticeView] = Field(
        description="The stale and drift alerts made in the period, oldest first."
    )


class VerdictBaseline(BaseModel):
    """The tracked branch's level on the track: its last segment (outliers set aside), or the
    segment of `source.base_commit`."""

    value: float | None = Field(description="The level (geometric mean of its runs); null: none.")
    runs: int = Field(description="Runs in the level (all kept runs when fewer than 3).")
    timestamp: datetime | None = Field(description="The level's newest run.")
    commit: str | None = Field(description="That run's commit.")
    sweep_id: int | None = Field(description="That run's sweep.")


class VerdictItemView(BaseModel):
    """One (series, metric, target interactivity) the candidate has a value for."""

    series_id: int
    config: ConfigView
    metric: Metric
    interactivity: str = Field(examples=["35"])
    baseline: VerdictBaseline
    candidate: float = Field(description="The candidate's value (geometric mean of its repeats).")
    candidate_runs: int = Field(description="Repeats combined (same pull request and commit).")
    relative_change: float | None = Field(
        description="candidate / baseline - 1; null without a baseline.", examples=[-0.12]
    )
    interval: tuple[float, float] | None = Field(
        description="Confidence interval of the relative change (TRACKER_VERDICT_CONFIDENCE), "
        "from the track's noise and the runs in each level.",
        examples=[[-0.14, -0.1]],
    )
    verdict: CandidateVerdict = Field(
        description="`regression`/`improvement`: the interval lies wholly beyond "
        "TRACKER_MIN_RELATIVE_CHANGE on that side; `unchanged`: wholly inside it; "
        "`inconclusive`: otherwise; `no_baseline`: the track has fewer than 3 runs."
    )
    repeats_needed: int | None = Field(
        description="Inconclusive: further candidate repeats that would settle it, were the "
        "change to stay where it is; null when none would (or it is settled)."
    )


class VerdictBaselineRef(BaseModel):
    branch: str = Field(description="The engine's tracked branch.", examples=["main"])
    commit: str | None = Field(
        description="`source.base_commit`, else the commit of the newest baseline run."
    )


class SubmissionVerdictView(BaseModel):
    """A candidate's verdict against the tracked branch (docs/api.md#verdicts)."""

    submission_id: int
    verdict: CandidateVerdict = Field(
        description="The worst item: regression, inconclusive, no_baseline, unchanged, "
        "improvement (no item: no_baseline)."
    )
    baseline: VerdictBaselineRef
    pull_request: int | None
    commit: str | None
    repeats: list[int] = Field(description="The candidate submissions combined, this one included.")
    counts: dict[CandidateVerdict, int]
    items: list[VerdictItemView] = Field(description="Regressions first.")
    repeats_needed: int | None = Field(
        description="The most further repeats an inconclusive item needs; null when none is "
        "inconclusive, or one cannot be settled by repeats."
    )


def items_page(page: Page[Any]) -> dict[str, Any]:
    """``{"items": [...], "next": cursor | null}``: a listing as every list endpoint answers it."""
    return {"items": page.items, "next": page.next_cursor}


Wire = TypeVar("Wire", bound=BaseModel)


def as_json(schema: type[Wire], value: object) -> Any:
    """``value`` (a read's dataclass) as the API would answer it: JSON-ready, by alias."""
    return schema.model_validate(value, from_attributes=True).model_dump(mode="json", by_alias=True)


class FieldErrorView(BaseModel):
    loc: list[str | int] = Field(
        description="Where: `body`, `query` or `path`, then the field's path.",
        examples=[["query", "tp"]],
    )
    msg: str = Field(examples=["tp must be an integer, got 'eight'"])
    type: str = Field(examples=["value_error"])


class InvalidInput(BaseModel):
    """422: every bad field of the request, each named."""

    detail: list[FieldErrorView]


class ErrorMessage(BaseModel):
    """Any other error answer (401, 403, 404, 405, 409, 413, 503): what went wrong, in a line."""

    detail: str
