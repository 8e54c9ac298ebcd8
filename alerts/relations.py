"""Linking an alert to the earlier one it reverses: a fix and the regression it fixes
(docs/alerts.md).

An alert's change on a track reverses an earlier change on the same track when it goes the
other way and brings the level back within the noise of the level before the earlier change.
The alerts are related when at least half of the new alert's changes on the earlier alert's
tracks reverse it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.messages.model import RelatedAlert
from tracker import models
from tracker.vocabulary import AlertState, ChangeState, RelationKind

REVERSAL_TOLERANCE = 0.25
"""Back to the old level within this fraction of the earlier change's size (and ≥ 2 %)."""
MIN_TOLERANCE = 0.02
UNRELATABLE_STATES = (AlertState.EXPECTED, AlertState.INVALID)


def reverses(earlier: models.ChangePoint, later: models.ChangePoint) -> bool:
    """Whether ``later`` takes the track back to the level before ``earlier``."""
    if earlier.direction is later.direction or earlier.before <= 0:
        return False
    tolerance = max(MIN_TOLERANCE, REVERSAL_TOLERANCE * abs(earlier.relative_change))
    return abs(later.after / earlier.before - 1) <= tolerance


def link_fixes(*, session: Session, alert: models.Alert) -> list[int]:
    """Record which earlier alerts this one reverses; returns their ids."""
    changes = list(
        session.execute(
            select(models.ChangePoint).where(
                models.ChangePoint.alert_id == alert.id,
                models.ChangePoint.state == ChangeState.CONFIRMED,
            )
        ).scalars()
    )
    earlier_by_track: dict[int, list[models.ChangePoint]] = defaultdict(list)
    for earlier in session.execute(
        select(models.ChangePoint)
        .join(models.Alert, models.Alert.id == models.ChangePoint.alert_id)
        .where(
            models.ChangePoint.track_id.in_({c.track_id for c in changes}),
            models.ChangePoint.state == ChangeState.CONFIRMED,
            models.ChangePoint.alert_id != alert.id,
            models.Alert.state.not_in(UNRELATABLE_STATES),
        )
        .order_by(models.ChangePoint.run_timestamp)
    ).scalars():
        earlier_by_track[earlier.track_id].append(earlier)

    reversed_by_alert: Counter[int] = Counter()
    candidates_by_alert: Counter[int] = Counter()
    for change in changes:
        before = [
            c for c in earlier_by_track[change.track_id] if c.run_timestamp < change.run_timestamp
        ]
        if not before:
            continue
        latest = before[-1]  # the change in force when this one happened
        assert latest.alert_id is not None
        candidates_by_alert[latest.alert_id] += 1
        if reverses(latest, change):
            reversed_by_alert[latest.alert_id] += 1
    fixed = sorted(
        alert_id
        for alert_id, reversed_count in reversed_by_alert.items()
        if reversed_count * 2 >= candidates_by_alert[alert_id]
    )
    for fixed_id in fixed:
        session.merge(models.AlertRelation(fix_alert_id=alert.id, fixed_alert_id=fixed_id))
    return fixed


def related_alerts(
    session: Session, alert_ids: Sequence[int]
) -> dict[int, tuple[RelatedAlert, ...]]:
    """Each alert's related alerts (those it fixes, those that fix it), by alert id, in one
    query with the other alert's summary."""
    fix, fixed = models.Alert.__table__.alias("fix"), models.Alert.__table__.alias("fixed")
    rows = session.execute(
        select(
            models.AlertRelation.fix_alert_id,
            models.AlertRelation.fixed_alert_id,
            fix.c.summary,
            fixed.c.summary,
        )
        .join(fix, fix.c.id == models.AlertRelation.fix_alert_id)
        .join(fixed, fixed.c.id == models.AlertRelation.fixed_alert_id)
        .where(
            or_(
                models.AlertRelation.fix_alert_id.in_(alert_ids),
                models.AlertRelation.fixed_alert_id.in_(alert_ids),
            )
        )
    ).all()
    related: dict[int, list[RelatedAlert]] = defaultdict(list)
    for fix_id, fixed_id, fix_summary, fixed_summary in rows:
        related[fix_id].append(RelatedAlert(fixed_id, RelationKind.FIXES, fixed_summary))
        related[fixed_id].append(RelatedAlert(fix_id, RelationKind.FIXED_BY, fix_summary))
    return {
        alert_id: tuple(sorted(found, key=lambda other: other.alert_id))
        for alert_id, found in related.items()
    }
