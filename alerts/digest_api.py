"""The digest as `GET /api/v1/digest` answers it."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.digests import DIGEST_TARGETS, FAMILY_FIELDS, family_figures
from tracker import models, views
from tracker.changes import change_view
from tracker.frontier import target_label


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
    changes: list[views.ChangeView] = Field(description="The steps between, one per run.")


class DigestView(BaseModel):
    days: int
    since: datetime
    generated_at: datetime
    lines: list[DigestLineView]


def _by_label(values: dict[float, float]) -> dict[str, float]:
    return {target_label(target): values[target] for target in DIGEST_TARGETS if target in values}


def digest_view(*, session: Session, days: int, now: datetime) -> DigestView:
    figures = family_figures(session=session, days=days, now=now)
    step_ids = [step.change_id for family in figures for step in family.steps]
    changes = {
        change.id: change_view(change, config)
        for change, config in session.execute(
            select(models.ChangePoint, models.Config)
            .join(models.Config, models.Config.id == models.ChangePoint.config_id)
            .where(models.ChangePoint.id.in_(step_ids))
        ).all()
    }
    lines = []
    for family in figures:
        engine, hardware, *fields = family.key
        lines.append(
            DigestLineView(
                engine=engine,
                hardware=hardware,
                family=dict(zip(FAMILY_FIELDS, fields, strict=True)),
                label=family.label,
                now=_by_label(family.now),
                then=_by_label(family.then),
                relative_change={
                    target_label(t): family.now[t] / family.then[t] - 1
                    for t in DIGEST_TARGETS
                    if t in family.now and t in family.then
                },
                changes=[changes[step.change_id] for step in family.steps],
            )
        )
    return DigestView(days=days, since=now - timedelta(days=days), generated_at=now, lines=lines)
