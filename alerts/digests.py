"""Digests: per engine × GPU × config family, throughput now against `days` ago, and the steps.

A family is the configs that share engine, GPU, model, precision, ISL/OSL, disaggregation,
wide-EP and spec method (they differ in parallelism). Its throughput at an interactivity is the
best of its configs' — the front a user of that family can reach. "Now" is each config's level
at the digest's time (the median of its last three runs), "then" its level `days` earlier.
Steps are the confirmed change points of `tput_per_gpu` at 35 tok/s/user (125 where a family
has none at 35) between then and now, one per run; changes of alerts marked invalid are left out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.messages.model import ChangeSummary, Digest, DigestLine, DigestNotice
from alerts.summaries import change_summaries
from tracker import models
from tracker.reads.changes import NOT_SUPPRESSED, changes_with_configs, with_alert
from tracker.vocabulary import AlertKind, AlertState, ChangeState, Metric

NOTICE_KINDS = (AlertKind.STALE, AlertKind.DRIFT, AlertKind.RANK)
"""Kinds listed in a digest as their alerts' summaries; step alerts are in the families' steps."""

DIGEST_TARGETS = (35.0, 125.0)
FAMILY_FIELDS = ("model", "precision", "isl", "osl", "disagg", "wide_ep", "spec_method")
FamilyKey = tuple[Any, ...]  # (framework, hardware, *FAMILY_FIELDS)


@dataclass(frozen=True)
class FamilyFigures:
    key: FamilyKey
    label: str
    config_ids: tuple[int, ...]
    now: dict[float, float]
    then: dict[float, float]
    steps: tuple[ChangeSummary, ...]


def family_key(config: models.Config) -> FamilyKey:
    return (config.framework, config.hardware, *(getattr(config, f) for f in FAMILY_FIELDS))


def family_label(config: models.Config) -> str:
    """e.g. "dsr1 fp8 1k/1k disagg wide-EP mtp"."""
    parts = [config.model_prefix or config.model.split("/")[-1], config.precision]
    parts.append(f"{_kilo(config.isl)}/{_kilo(config.osl)}")
    if config.disagg:
        parts.append("disagg")
    if config.wide_ep:
        parts.append("wide-EP")
    if config.spec_method != "none":
        parts.append(config.spec_method)
    return " ".join(parts)


def _kilo(tokens: int) -> str:
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else str(tokens)


LEVEL_RUNS = 3
"""A family's level at a time is the median of its last runs up to then: one bad night (or the
newest, not yet known to be one) does not move a digest."""


def config_levels(session: Session, *, at_or_before: datetime) -> dict[tuple[int, float], float]:
    """Each config's level at the digest targets up to a time: the median of its last
    `LEVEL_RUNS` `tput_per_gpu` frontier values."""
    ranked = (
        select(
            models.FrontierValue.config_id,
            models.FrontierValue.interactivity,
            models.FrontierValue.value,
            func.row_number()
            .over(
                partition_by=(models.FrontierValue.config_id, models.FrontierValue.interactivity),
                order_by=(
                    models.FrontierValue.timestamp.desc(),
                    models.FrontierValue.sweep_id.desc(),
                ),
            )
            .label("rank"),
        )
        .where(
            models.FrontierValue.metric == Metric.TPUT_PER_GPU,
            models.FrontierValue.interactivity.in_(DIGEST_TARGETS),
            models.FrontierValue.timestamp <= at_or_before,
        )
        .subquery()
    )
    recent: dict[tuple[int, float], list[float]] = defaultdict(list)
    for config_id, interactivity, value in session.execute(
        select(ranked.c.config_id, ranked.c.interactivity, ranked.c.value).where(
            ranked.c.rank <= LEVEL_RUNS
        )
    ).all():
        recent[(config_id, interactivity)].append(value)
    return {key: statistics.median(values) for key, values in recent.items()}


def _best(values: dict[tuple[int, float], float], config_ids: Iterable[int]) -> dict[float, float]:
    best: dict[float, float] = {}
    for config_id in config_ids:
        for target in DIGEST_TARGETS:
            value = values.get((config_id, target))
            if value is not None and value > best.get(target, 0.0):
                best[target] = value
    return best


def _steps(
    session: Session, config_ids: list[int], since: datetime, until: datetime
) -> tuple[ChangeSummary, ...]:
    pairs = session.execute(
        with_alert(changes_with_configs())
        .where(
            models.ChangePoint.config_id.in_(config_ids),
            models.ChangePoint.state == ChangeState.CONFIRMED,
            models.ChangePoint.metric == Metric.TPUT_PER_GPU,
            models.ChangePoint.interactivity.in_(DIGEST_TARGETS),
            models.ChangePoint.run_timestamp > since,
            models.ChangePoint.run_timestamp <= until,
            NOT_SUPPRESSED,
        )
        .order_by(models.ChangePoint.run_timestamp, models.ChangePoint.id)
    ).all()
    targets_present = {change.interactivity for change, _ in pairs}
    target = DIGEST_TARGETS[0] if DIGEST_TARGETS[0] in targets_present else DIGEST_TARGETS[1]
    by_run: dict[datetime, tuple[models.ChangePoint, models.Config]] = {}
    for change, config in pairs:
        if change.interactivity != target:
            continue
        kept = by_run.get(change.run_timestamp)
        if kept is None or abs(change.relative_change) > abs(kept[0].relative_change):
            by_run[change.run_timestamp] = (change, config)
    return change_summaries(by_run[run] for run in sorted(by_run))


def family_figures(*, session: Session, days: int, now: datetime) -> list[FamilyFigures]:
    then = now - timedelta(days=days)
    values_now = config_levels(session, at_or_before=now)
    values_then = config_levels(session, at_or_before=then)
    families: dict[FamilyKey, list[models.Config]] = defaultdict(list)
    for config in session.execute(select(models.Config).order_by(models.Config.id)).scalars():
        families[family_key(config)].append(config)
    figures = []
    for key, configs in sorted(families.items(), key=lambda item: str(item[0])):
        config_ids = [config.id for config in configs]
        now_values = _best(values_now, config_ids)
        if not now_values and not _best(values_then, config_ids):
            continue
        figures.append(
            FamilyFigures(
                key=key,
                label=family_label(configs[0]),
                config_ids=tuple(config_ids),
                now=now_values,
                then=_best(values_then, config_ids),
                steps=_steps(session, config_ids, then, now),
            )
        )
    return figures


def build_digest(*, session: Session, days: int, now: datetime, title: str) -> Digest:
    lines = tuple(
        DigestLine(
            engine=figures.key[0],
            hardware=figures.key[1],
            family=figures.label,
            now_35=figures.now.get(35.0),
            then_35=figures.then.get(35.0),
            now_125=figures.now.get(125.0),
            then_125=figures.then.get(125.0),
            steps=figures.steps,
        )
        for figures in family_figures(session=session, days=days, now=now)
    )
    return Digest(
        title=title,
        days=days,
        generated_at=now,
        lines=lines,
        notices=period_notices(session=session, since=now - timedelta(days=days), until=now),
    )


def period_notices(
    *, session: Session, since: datetime, until: datetime
) -> tuple[DigestNotice, ...]:
    """The stale and drift alerts made in (since, until], oldest first (`invalid` ones left out)."""
    return tuple(
        DigestNotice(
            alert_id=alert.id,
            kind=alert.kind,
            engine=alert.engine,
            state=alert.state,
            summary=alert.summary,
        )
        for alert in session.execute(
            select(models.Alert)
            .where(
                models.Alert.kind.in_(NOTICE_KINDS),
                models.Alert.created_at > since,
                models.Alert.created_at <= until,
                models.Alert.state != AlertState.INVALID,
            )
            .order_by(models.Alert.created_at, models.Alert.id)
        ).scalars()
    )
