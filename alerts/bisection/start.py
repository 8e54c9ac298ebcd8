"""Starting and stopping a bisection of an alert's commit range (triage, or automatic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.records import mark_for_refresh
from tracker import models
from tracker.configs.fields import CONFIG_KEY_FIELDS
from tracker.configs.normalise import normalise_framework
from tracker.detection.noise import noise_sigma
from tracker.errors import Conflict, NotFound
from tracker.github.client import repository_path
from tracker.settings import BisectWorkflow
from tracker.vocabulary import BisectionState, ChangeState

ACTIVE_STATES = (BisectionState.LISTING, BisectionState.RUNNING)
NOISE_RUNS = 120
"""The latest runs of a track whose noise judges a bisection's runs."""


class BisectionNotConfigured(Conflict):
    """Nothing can be dispatched: no GitHub token, or no workflow for the alert's engine."""


@dataclass(frozen=True)
class BisectConfiguration:
    """What a bisection needs from the settings."""

    github_token_set: bool
    workflows: Mapping[str, BisectWorkflow]
    max_runs: int

    def workflow_for(self, engine: str) -> BisectWorkflow | None:
        return next(
            (
                workflow
                for name, workflow in self.workflows.items()
                if normalise_framework(name) == normalise_framework(engine)
            ),
            None,
        )


def current_bisection(session: Session, alert_id: int) -> models.Bisection | None:
    """The alert's latest bisection, if any."""
    return session.execute(
        select(models.Bisection)
        .where(models.Bisection.alert_id == alert_id)
        .order_by(models.Bisection.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def start_bisection(
    *,
    session: Session,
    alert_id: int,
    configuration: BisectConfiguration,
    who: str,
    now: datetime,
) -> models.Bisection:
    """Begin searching the alert's range for its culprit; the next advance lists its commits.

    Raises `NotFound`, `BisectionNotConfigured`, or `Conflict` (one is running already, or the
    range has no commits to search). Never commits.
    """
    alert = session.get(models.Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    workflow = configuration.workflow_for(alert.engine)
    if not configuration.github_token_set or workflow is None:
        raise BisectionNotConfigured(
            "bisection is not configured: it needs TRACKER_GITHUB_TOKEN and a workflow for "
            f"{alert.engine!r} in TRACKER_BISECT_WORKFLOWS"
        )
    running = current_bisection(session, alert_id)
    if running is not None and running.state in ACTIVE_STATES:
        raise Conflict(f"bisection {running.id} of alert {alert_id} is running already")
    if not (alert.commit_from and alert.commit_to and alert.compare_url):
        raise Conflict(f"alert {alert_id}'s range has no commits to search (images only)")
    changes = session.execute(
        select(models.ChangePoint, models.Config)
        .join(models.Config, models.Config.id == models.ChangePoint.config_id)
        .where(
            models.ChangePoint.alert_id == alert_id,
            models.ChangePoint.state == ChangeState.CONFIRMED,
        )
        .order_by(models.ChangePoint.id)
    ).all()
    if not changes:
        raise Conflict(f"alert {alert_id} has no confirmed change to judge runs by")
    repository = workflow.repository or repository_path(alert.compare_url.split("/compare/")[0])
    bisection = models.Bisection(
        alert_id=alert_id,
        engine=alert.engine,
        repository=repository,
        workflow=workflow.workflow,
        ref=workflow.ref,
        state=BisectionState.LISTING,
        base_commit=alert.commit_from,
        head_commit=alert.commit_to,
        commits=[],
        good_index=-1,
        bad_index=-1,
        tracks=[_track_levels(session, change) for change, _ in changes],
        configs=_dispatched_configs([config for _, config in changes]),
        max_runs=configuration.max_runs,
        runs_used=0,
        culprit_index=None,
        reason=None,
        started_by=who,
        created_at=now,
        updated_at=now,
        finished_at=None,
    )
    session.add(bisection)
    session.flush()
    mark_for_refresh(session, [alert_id])
    return bisection


def stop_bisection(*, session: Session, alert_id: int, who: str, now: datetime) -> models.Bisection:
    """Stop the alert's running bisection: nothing more is dispatched. Never commits."""
    bisection = current_bisection(session, alert_id)
    if bisection is None or bisection.state not in ACTIVE_STATES:
        raise NotFound(f"alert {alert_id} has no running bisection")
    bisection.state = BisectionState.STOPPED
    bisection.reason = f"stopped by {who}"
    bisection.updated_at = bisection.finished_at = now
    mark_for_refresh(session, [alert_id])
    return bisection


def _track_levels(session: Session, change: models.ChangePoint) -> dict[str, Any]:
    """A changed track's levels and its noise on the log scale, as the change left them."""
    recent = list(
        session.execute(
            select(models.FrontierValue.value)
            .where(
                models.FrontierValue.config_id == change.config_id,
                models.FrontierValue.metric == change.metric,
                models.FrontierValue.interactivity == change.interactivity,
            )
            .order_by(models.FrontierValue.timestamp.desc())
            .limit(NOISE_RUNS)
        ).scalars()
    )
    logs = np.log(np.array([value for value in recent if value > 0][::-1], dtype=np.float64))
    return {
        "config_id": change.config_id,
        "metric": change.metric.value,
        "interactivity": change.interactivity,
        "before": change.before,
        "after": change.after,
        "sigma": noise_sigma(logs) if logs.size > 1 else 0.0,
    }


def _dispatched_configs(configs: list[models.Config]) -> list[dict[str, Any]]:
    """The affected configs as the workflow receives them: key fields that are set."""
    unique = {config.id: config for config in configs}
    return [
        {name: value for name in CONFIG_KEY_FIELDS if (value := getattr(config, name)) is not None}
        for config in unique.values()
    ]
