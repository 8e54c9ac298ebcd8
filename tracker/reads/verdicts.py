"""A candidate's verdict (docs/api.md#verdicts): each of its frontier values against the tracked
branch's level on that track, with the track's noise.

The baseline of a track is the level of its last segment — the runs after its newest confirmed or
suspected change point, outliers set aside — or, with `source.base_commit`, the segment holding
the newest run of that commit (the last segment when the track has none). Repeats of one pull
request (or branch) and commit are combined: their mean on the log scale, with their count.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import models
from tracker.configs.fields import ConfigValue
from tracker.configs.repositories import same_commit
from tracker.detection.comparison import (
    LevelComparison,
    Side,
    compare_levels,
    noise_model,
    repeats_to_settle,
)
from tracker.errors import Conflict, NotFound
from tracker.processing.frontier import target_label
from tracker.processing.tracks import TrackHistory, TrackKey, load_histories
from tracker.settings import Settings, tracked_branch
from tracker.vocabulary import (
    CANDIDATE_VERDICT_ORDER,
    CandidateVerdict,
    ChangeState,
    Metric,
    SubmissionPurpose,
    SubmissionStatus,
)

MIN_BASELINE_RUNS = 3
"""A track with fewer runs has no baseline to judge against."""

_VERDICT_OF_SIDE = {
    Side.BELOW: CandidateVerdict.REGRESSION,
    Side.ABOVE: CandidateVerdict.IMPROVEMENT,
    Side.INSIDE: CandidateVerdict.UNCHANGED,
    Side.ACROSS: CandidateVerdict.INCONCLUSIVE,
}


def _verdict_of(side: Side, metric: Metric) -> CandidateVerdict:
    """The verdict of a change on this side of the margin; a latency or energy rise is worse."""
    if not metric.higher_is_better:
        side = {Side.BELOW: Side.ABOVE, Side.ABOVE: Side.BELOW}.get(side, side)
    return _VERDICT_OF_SIDE[side]


@dataclass(frozen=True)
class VerdictOptions:
    """What a verdict needs from the settings."""

    tracked_branches: Mapping[str, str]
    min_relative_change: float
    confidence: float

    @classmethod
    def from_settings(cls, settings: Settings) -> VerdictOptions:
        return cls(
            tracked_branches=settings.tracked_branches,
            min_relative_change=settings.min_relative_change,
            confidence=settings.verdict_confidence,
        )


@dataclass(frozen=True)
class BaselineLevel:
    value: float | None
    """The level (geometric mean of its runs); None without a baseline."""
    runs: int
    timestamp: datetime | None
    """The newest run of the level."""
    commit: str | None
    """That run's commit."""
    sweep_id: int | None
    """That run's sweep."""


@dataclass(frozen=True)
class VerdictItem:
    series_id: int
    config: dict[str, ConfigValue]
    metric: Metric
    interactivity: str
    baseline: BaselineLevel
    candidate: float
    """The candidate's value (geometric mean of its repeats)."""
    candidate_runs: int
    relative_change: float | None
    interval: tuple[float, float] | None
    verdict: CandidateVerdict
    repeats_needed: int | None
    """Inconclusive: further candidate repeats that would settle it at this change; None when
    no number of repeats would, or the item is settled."""


@dataclass(frozen=True)
class BaselineRef:
    branch: str
    commit: str | None


@dataclass(frozen=True)
class SubmissionVerdict:
    submission_id: int
    verdict: CandidateVerdict
    baseline: BaselineRef
    pull_request: int | None
    commit: str | None
    repeats: list[int]
    """The submission ids combined (this one and its repeats), ascending."""
    counts: dict[str, int]
    items: list[VerdictItem]
    repeats_needed: int | None
    """The most further repeats any inconclusive item needs, when every one can be settled."""


def submission_verdict(
    *, session: Session, submission_id: int, options: VerdictOptions
) -> SubmissionVerdict:
    """The verdict of candidate `submission_id`, with its repeats; NotFound when it is no
    candidate, Conflict while it is not processed."""
    found = session.execute(
        select(models.Submission, models.SourceRun)
        .join(models.SourceRun, models.SourceRun.id == models.Submission.source_run_id)
        .where(models.Submission.id == submission_id)
    ).first()
    if found is None:
        raise NotFound(f"submission {submission_id} does not exist")
    submission, source = found
    if source.purpose is not SubmissionPurpose.CANDIDATE:
        raise NotFound(
            f"submission {submission_id} is not a candidate (a run of a pull request, or of a "
            f"branch other than the tracked one): it has no verdict"
        )
    if submission.status is SubmissionStatus.FAILED:
        raise Conflict(
            f"submission {submission_id} failed ({submission.error}): it has no verdict; post "
            "the run again"
        )
    if submission.status is not SubmissionStatus.PROCESSED:
        raise Conflict(
            f"submission {submission_id} is {submission.status.value}, not processed yet; its "
            "verdict is read once it is processed"
        )
    repeats = _repeats(session, source)
    candidate_values = _candidate_values(session, [run_id for run_id, _ in repeats])
    items = _items(session, candidate_values, source.base_commit, options)
    items.sort(key=_item_order)
    counts = {verdict.value: 0 for verdict in CandidateVerdict}
    for item in items:
        counts[item.verdict.value] += 1
    overall = next(
        (verdict for verdict in CANDIDATE_VERDICT_ORDER if counts[verdict.value]),
        CandidateVerdict.NO_BASELINE,
    )
    return SubmissionVerdict(
        submission_id=submission_id,
        verdict=overall,
        baseline=BaselineRef(
            branch=tracked_branch(options.tracked_branches, source.engine),
            commit=source.base_commit or _newest_baseline_commit(items),
        ),
        pull_request=source.pull_request,
        commit=source.commit,
        repeats=sorted(submission_id for _, submission_id in repeats),
        counts=counts,
        items=items,
        repeats_needed=_repeats_needed(items),
    )


def candidate_sweeps(*, session: Session, submission_id: int) -> dict[int, int]:
    """The submission's own sweep of each series it ran: series id → sweep id."""
    sweeps: dict[int, int] = {}
    for config_id, sweep_id in session.execute(
        select(models.Sweep.config_id, models.Sweep.id)
        .join(models.Submission, models.Submission.source_run_id == models.Sweep.source_run_id)
        .where(models.Submission.id == submission_id)
    ):
        sweeps[config_id] = sweep_id
    return sweeps


def _item_order(item: VerdictItem) -> tuple[int, float, int, str, float]:
    """Regressions first (largest drop first), then inconclusive, … improvements last."""
    return (
        CANDIDATE_VERDICT_ORDER.index(item.verdict),
        item.relative_change if item.relative_change is not None else 0.0,
        item.series_id,
        item.metric.value,
        float(item.interactivity),
    )


def _repeats(session: Session, source: models.SourceRun) -> list[tuple[int, int]]:
    """(source run id, submission id) of the processed candidate runs of this one's engine,
    pull request (or branch, without one) and commit."""
    query = (
        select(models.SourceRun.id, models.Submission.id)
        .join(models.Submission, models.Submission.source_run_id == models.SourceRun.id)
        .where(
            models.SourceRun.purpose == SubmissionPurpose.CANDIDATE,
            models.SourceRun.engine == source.engine,
            models.SourceRun.commit == source.commit,
            models.Submission.status == SubmissionStatus.PROCESSED,
        )
    )
    if source.pull_request is not None:
        query = query.where(models.SourceRun.pull_request == source.pull_request)
    else:
        query = query.where(
            models.SourceRun.pull_request.is_(None), models.SourceRun.branch == source.branch
        )
    return [(run_id, submission_id) for run_id, submission_id in session.execute(query)]


def _candidate_values(
    session: Session, source_run_ids: Sequence[int]
) -> dict[TrackKey, list[float]]:
    values: dict[TrackKey, list[float]] = defaultdict(list)
    for config_id, metric, x, value in session.execute(
        select(
            models.CandidateFrontierValue.config_id,
            models.CandidateFrontierValue.metric,
            models.CandidateFrontierValue.interactivity,
            models.CandidateFrontierValue.value,
        )
        .join(models.Sweep, models.Sweep.id == models.CandidateFrontierValue.sweep_id)
        .where(models.Sweep.source_run_id.in_(source_run_ids))
    ):
        values[(config_id, metric, x)].append(value)
    return values


@dataclass(frozen=True)
class _TrackRecord:
    history: TrackHistory
    outliers: frozenset[int]
    boundaries: frozenset[int]
    """Sweep ids of the first run of each segment after the first (change points, suspected)."""


def _tracks(session: Session, keys: Sequence[TrackKey]) -> dict[TrackKey, _TrackRecord]:
    wanted = set(keys)
    tracks = [
        track
        for track in session.execute(
            select(models.Track).where(
                models.Track.config_id.in_({config_id for config_id, _, _ in keys})
            )
        ).scalars()
        if (track.config_id, track.metric, track.interactivity) in wanted
    ]
    histories = load_histories(session=session, track_ids=[track.id for track in tracks])
    changes: dict[int, set[int]] = defaultdict(set)
    for track_id, sweep_id in session.execute(
        select(models.ChangePoint.track_id, models.ChangePoint.sweep_id).where(
            models.ChangePoint.track_id.in_([track.id for track in tracks]),
            models.ChangePoint.state == ChangeState.CONFIRMED,
        )
    ):
        changes[track_id].add(sweep_id)
    return {
        (track.config_id, track.metric, track.interactivity): _TrackRecord(
            history=histories[track.id],
            outliers=frozenset(track.outlier_sweep_ids),
            boundaries=frozenset(
                changes[track.id] | {point["sweep_id"] for point in track.suspected}
            ),
        )
        for track in tracks
        if track.id in histories
    }


def _commits(session: Session, sweep_ids: Sequence[int]) -> dict[int, str | None]:
    return dict(
        session.execute(
            select(models.Sweep.id, models.SourceRun.commit)
            .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
            .where(models.Sweep.id.in_(sweep_ids))
        ).all()
    )


def _sweeps_at_commit(session: Session, config_ids: set[int], commit: str) -> set[int]:
    """The configs' tracked sweeps of `commit` (a prefix of 7+ characters names it)."""
    rows = session.execute(
        select(models.Sweep.id, models.SourceRun.commit)
        .join(models.SourceRun, models.SourceRun.id == models.Sweep.source_run_id)
        .where(
            models.Sweep.config_id.in_(config_ids),
            models.SourceRun.purpose == SubmissionPurpose.HISTORY,
            func.lower(models.SourceRun.commit).startswith(commit[:7].lower()),
        )
    )
    return {sweep_id for sweep_id, stored in rows if same_commit(stored, commit)}


def _items(
    session: Session,
    candidate_values: dict[TrackKey, list[float]],
    base_commit: str | None,
    options: VerdictOptions,
) -> list[VerdictItem]:
    keys = sorted(candidate_values, key=lambda key: (key[0], key[1].value, key[2]))
    config_ids = {key[0] for key in keys}
    tracks = _tracks(session, keys)
    at_base = set() if base_commit is None else _sweeps_at_commit(session, config_ids, base_commit)
    configs = {
        config.id: config.as_dict()
        for config in session.execute(
            select(models.Config).where(models.Config.id.in_(config_ids))
        ).scalars()
    }
    items = [
        _item(key, configs[key[0]], candidate_values[key], tracks.get(key), at_base, options)
        for key in keys
    ]
    # The commit of each baseline's newest run, read for those runs only.
    commits = _commits(session, [i.baseline.sweep_id for i in items if i.baseline.sweep_id])
    return [
        replace(item, baseline=replace(item.baseline, commit=commits.get(item.baseline.sweep_id)))
        if item.baseline.sweep_id is not None
        else item
        for item in items
    ]


def _item(
    key: TrackKey,
    config: dict[str, ConfigValue],
    values: list[float],
    track: _TrackRecord | None,
    at_base: set[int],
    options: VerdictOptions,
) -> VerdictItem:
    config_id, metric, interactivity = key
    candidate_logs = np.log(np.asarray(values, dtype=float))
    candidate = math.exp(float(candidate_logs.mean()))
    kept = [] if track is None else _kept_indices(track)
    if track is None or len(kept) < MIN_BASELINE_RUNS:
        return VerdictItem(
            series_id=config_id,
            config=config,
            metric=metric,
            interactivity=target_label(interactivity),
            baseline=BaselineLevel(None, len(kept), None, None, None),
            candidate=candidate,
            candidate_runs=len(values),
            relative_change=None,
            interval=None,
            verdict=CandidateVerdict.NO_BASELINE,
            repeats_needed=None,
        )
    history = track.history
    level = _level_indices(track, kept, at_base)
    logs = np.log(np.asarray(history.values, dtype=float))
    # Each segment starts, among the kept runs, at the first kept run from its start on.
    kept_starts = sorted(
        {bisect_left(kept, start) for start in _segment_starts(track)} - {len(kept)}
    )
    noise = noise_model(logs[kept], kept_starts)
    baseline_log = float(logs[level].mean())
    shift = float(candidate_logs.mean()) - baseline_log
    comparison: LevelComparison = compare_levels(
        shift=shift,
        baseline_runs=len(level),
        candidate_runs=len(values),
        noise=noise,
        confidence=options.confidence,
    )
    verdict = _verdict_of(comparison.side(options.min_relative_change), metric)
    newest = level[-1]
    return VerdictItem(
        series_id=config_id,
        config=config,
        metric=metric,
        interactivity=target_label(interactivity),
        baseline=BaselineLevel(
            value=math.exp(baseline_log),
            runs=len(level),
            timestamp=history.timestamp(newest),
            commit=None,  # read with the other items' (`_items`)
            sweep_id=history.sweep_ids[newest],
        ),
        candidate=candidate,
        candidate_runs=len(values),
        relative_change=comparison.relative_change,
        interval=comparison.interval,
        verdict=verdict,
        repeats_needed=(
            repeats_to_settle(
                shift=shift,
                baseline_runs=len(level),
                candidate_runs=len(values),
                noise=noise,
                confidence=options.confidence,
                margin=options.min_relative_change,
            )
            if verdict is CandidateVerdict.INCONCLUSIVE
            else None
        ),
    )


def _segment_starts(track: _TrackRecord) -> set[int]:
    """Indices of the first run of each segment (0, then each change point or suspected one)."""
    sweeps = track.history.sweep_ids
    return {0} | {i for i, sweep in enumerate(sweeps) if sweep in track.boundaries}


def _kept_indices(track: _TrackRecord) -> list[int]:
    """The track's runs, outliers set aside."""
    return [i for i, sweep in enumerate(track.history.sweep_ids) if sweep not in track.outliers]


def _level_indices(track: _TrackRecord, kept: list[int], at_base: set[int]) -> list[int]:
    """The kept runs of the segment the baseline is read from: the one holding the newest run
    of the base commit (`at_base`: its sweeps), else the last."""
    sweeps = track.history.sweep_ids
    starts = sorted(_segment_starts(track))
    anchor = len(sweeps) - 1
    runs_at_base = [i for i in kept if sweeps[i] in at_base]
    if runs_at_base:
        anchor = runs_at_base[-1]
    start = max(s for s in starts if s <= anchor)
    end = min((s for s in starts if s > anchor), default=len(sweeps))
    level = [i for i in kept if start <= i < end]
    return level or kept[-1:]


def _newest_baseline_commit(items: list[VerdictItem]) -> str | None:
    dated = [
        (item.baseline.timestamp, item.baseline.commit)
        for item in items
        if item.baseline.timestamp is not None
    ]
    return max(dated, key=lambda dated_commit: dated_commit[0])[1] if dated else None


def _repeats_needed(items: list[VerdictItem]) -> int | None:
    undecided = [item for item in items if item.verdict is CandidateVerdict.INCONCLUSIVE]
    if not undecided or any(item.repeats_needed is None for item in undecided):
        return None
    return max(item.repeats_needed or 0 for item in undecided)
