"""Drift alerts: one per engine and slice whose tracks slid in steps not all told by step
alerts (docs/alerts.md#drift).

Detection keeps each throughput track's drift on the track (`tracks.drift`,
`tracker.detection.drift`): a move past `TRACKER_DRIFT_THRESHOLD` from its best level of the last
`TRACKER_DRIFT_DAYS` that the steps it reports do not all explain, with the part they leave
untold, so a slide its step alerts tell entirely is never a drift too.
Here the drifting tracks of one engine (the configs' framework) and slice (GPU, model,
precision, ISL/OSL) become one alert; tracks that drift later join it, and it resolves itself
when none of its slice's tracks drifts any more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.messages import dimensions
from alerts.messages.drift import drift_headline
from alerts.messages.model import DriftStepSummary, DriftSummary, DriftTrack
from alerts.records import mark_for_refresh, open_notice, resolve
from alerts.routing import channels_for
from tracker import models
from tracker.reads.series import configs_by_id
from tracker.settings import SlackRoute
from tracker.vocabulary import AlertKind, AlertState

SLICE_FIELDS = ("framework", "hardware", "model", "precision", "isl", "osl")


@dataclass(frozen=True)
class DriftOutcome:
    created: tuple[int, ...]
    joined: tuple[int, ...]
    resolved: tuple[int, ...]


def slice_key(config: models.Config) -> str:
    return "|".join(str(getattr(config, field)) for field in SLICE_FIELDS)


def group_drifts(
    *,
    session: Session,
    routes: Sequence[SlackRoute],
    default_channel: str | None,
    now: datetime,
) -> DriftOutcome:
    """Open, update and resolve drift alerts from the tracks' drift. Never commits."""
    drifting: dict[str, list[tuple[models.Track, models.Config]]] = defaultdict(list)
    for track, config in session.execute(
        select(models.Track, models.Config)
        .join(models.Config, models.Config.id == models.Track.config_id)
        .where(models.Track.drift.is_not(None))
        .order_by(models.Track.id)
    ).all():
        drifting[slice_key(config)].append((track, config))
    open_alerts = {
        alert.details["slice"]: alert
        for alert in session.execute(
            select(models.Alert)
            .where(models.Alert.kind == AlertKind.DRIFT, models.Alert.state != AlertState.RESOLVED)
            .order_by(models.Alert.id)
        ).scalars()
    }
    created: list[int] = []
    joined: list[int] = []
    resolved: list[int] = []
    for key, alert in open_alerts.items():
        if key not in drifting:
            resolve(session, alert, now=now, note="back within the drift threshold")
            resolved.append(alert.id)
    for key, members in sorted(drifting.items()):
        tracks = [_track_entry(track) for track, _ in members]
        existing = open_alerts.get(key)
        if existing is not None:
            known = {entry["track_id"] for entry in existing.details["tracks"]}
            existing.details = {**existing.details, "tracks": tracks}
            if {entry["track_id"] for entry in tracks} - known:
                existing.updated_at = now
                joined.append(existing.id)
            continue
        configs = list({config.id: config for _, config in members}.values())
        first = configs[0]
        alert = open_notice(
            session,
            kind=AlertKind.DRIFT,
            engine=first.framework,
            range_start=min(datetime.fromisoformat(t["best_timestamp"]) for t in tracks),
            range_end=max(datetime.fromisoformat(t["timestamp"]) for t in tracks),
            summary="",
            details={"slice": key, "slice_label": _slice_label(first), "tracks": tracks},
            channels=channels_for([c.as_dict() for c in configs], routes, default_channel),
            now=now,
        )
        alert.summary = drift_headline(drift_summary(session=session, alert=alert, public_url=None))
        created.append(alert.id)
    mark_for_refresh(session, joined)
    session.flush()
    return DriftOutcome(tuple(created), tuple(joined), tuple(resolved))


def _track_entry(track: models.Track) -> dict[str, Any]:
    assert track.drift is not None
    return {
        "track_id": track.id,
        "series_id": track.config_id,
        "metric": track.metric.value,
        "interactivity": track.interactivity,
        **track.drift,
    }


def _slice_label(config: models.Config) -> str:
    """ "MI355X dsr1 FP8 1k/1k"."""
    words = config.as_dict()
    return (
        f"{dimensions.hardware(words)} {dimensions.model(words)} {dimensions.precision(words)} "
        f"{dimensions.sequence_lengths(words)}"
    )


def drift_summary(*, session: Session, alert: models.Alert, public_url: str | None) -> DriftSummary:
    """The drift alert as its messages tell it."""
    entries = alert.details["tracks"]
    configs = configs_by_id(session, sorted({entry["series_id"] for entry in entries}))
    return DriftSummary(
        alert_id=alert.id,
        engine=alert.engine,
        state=alert.state,
        slice=alert.details["slice_label"],
        tracks=tuple(
            DriftTrack(
                series_id=entry["series_id"],
                config=configs[entry["series_id"]].as_dict(),
                metric=entry["metric"],
                interactivity=entry["interactivity"],
                best=entry["best"],
                best_timestamp=datetime.fromisoformat(entry["best_timestamp"]),
                level=entry["level"],
                timestamp=datetime.fromisoformat(entry["timestamp"]),
                relative_change=entry["relative_change"],
                untold=entry.get("untold"),
                steps=tuple(
                    DriftStepSummary(
                        timestamp=datetime.fromisoformat(step["timestamp"]),
                        relative_change=step["relative_change"],
                    )
                    for step in entry["steps"]
                ),
            )
            for entry in entries
        ),
        url=f"{public_url.rstrip('/')}/alerts/{alert.id}" if public_url else None,
    )
