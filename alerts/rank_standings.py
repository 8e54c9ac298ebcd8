"""The rank check's standings (docs/alerts.md#rank-flips): for each slice, ranking and target,
each competitor's best value per day, kept between checks.

A check folds in only the `tput_per_gpu` frontier values of the sweeps after those the check
before last read (`models.RankCheck`), updates the standings they touch, drops their days older
than `LOOKBACK_DAYS` before their newest, and returns those standings alone: no check rereads
the history. A daily best is a maximum (a minimum for cost), so a value read twice changes
nothing. Only days that two or more competitors ran can show a leader, so a day one competitor
ran alone is kept only while another may still post for it (`OPEN_DAYS`): most slices have one
competitor, and their standings stay a week long.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.bulk import bulk_insert, bulk_update
from tracker.reads.pricing import PriceSet, cost_per_mtok
from tracker.reads.series import configs_by_id
from tracker.vocabulary import Metric

LOOKBACK_DAYS = 120
"""Days of daily bests kept: enough to say how long the old leader led."""
OPEN_DAYS = 7
"""Days before a standing's newest for which a competitor's result may still arrive (a slower CI
lane, a rerun): a day with one competitor is kept that long, in case a second one posts for it.
A backfill that posts older days of a second competitor meets those days without the first, so
its old leads are not counted in how long a leader led."""

ENGINES_ON_A_GPU = ("engines", ("model", "precision", "isl", "osl", "hardware"), "framework")
GPUS_UNDER_AN_ENGINE = ("gpus", ("model", "precision", "isl", "osl", "framework"), "hardware")
MODES = (ENGINES_ON_A_GPU, GPUS_UNDER_AN_ENGINE)
TPUT = "tput_per_gpu"
COST = "cost_per_mtok"

Mode = tuple[str, tuple[str, ...], str]
StandingKey = tuple[str, tuple[object, ...], str, float]  # mode, slice, ranking, target
Days = dict[str, dict[str, float]]
"""ISO day (YYYY-MM-DD, which sorts as the dates do) → competitor → its best value that day."""


@dataclass(frozen=True)
class Standing:
    """One slice, ranking and target, with each competitor's best value per day."""

    mode: str
    slice: tuple[object, ...]
    ranking: str
    target: float
    days: Days


def daily_best(
    rows: Sequence[tuple[models.Config, float, float, datetime]], mode: Mode
) -> dict[tuple[tuple[object, ...], str, float], Days]:
    """(slice, ranking, target) → day → competitor → its best value that day."""
    _, fields, competitor_field = mode
    best: dict[tuple[tuple[object, ...], str, float], Days] = defaultdict(lambda: defaultdict(dict))
    places: dict[int, tuple[tuple[object, ...], str]] = {}  # config id → (slice, competitor)
    for config, target, value, moment in rows:
        if config.id not in places:
            place = tuple(getattr(config, field) for field in fields)
            places[config.id] = place, str(getattr(config, competitor_field))
        key, competitor = places[config.id]
        day = moment.date().isoformat()
        _keep_better(best[(key, TPUT, target)][day], competitor, value, TPUT)
        if mode is GPUS_UNDER_AN_ENGINE:
            cost = cost_per_mtok(value, config, PriceSet.HYPERSCALER)
            if cost is not None:
                _keep_better(best[(key, COST, target)][day], competitor, cost, COST)
    return best


def _keep_better(
    by_competitor: dict[str, float], competitor: str, figure: float, ranking: str
) -> None:
    known = by_competitor.get(competitor)
    if known is None or (figure < known if ranking == COST else figure > known):
        by_competitor[competitor] = figure


def fold_new_values(session: Session) -> list[Standing]:
    """Fold the frontier values that came since the check before last into the standings; the
    standings they touched, as they now are. Standings are read and written as plain rows, and
    only those whose days changed are written: a night touches every slice."""
    mark = session.execute(
        select(models.RankCheck).where(models.RankCheck.id == 1).with_for_update()
    ).scalar_one()
    rows = session.execute(
        select(
            models.FrontierValue.sweep_id,
            models.FrontierValue.config_id,
            models.FrontierValue.interactivity,
            models.FrontierValue.value,
            models.FrontierValue.timestamp,
        ).where(
            models.FrontierValue.sweep_id > mark.previous_read_through,
            models.FrontierValue.metric == Metric.TPUT_PER_GPU,
        )
    ).all()
    read_through = max((row.sweep_id for row in rows), default=mark.read_through)
    mark.previous_read_through = mark.read_through
    mark.read_through = max(mark.read_through, read_through)
    if not rows:
        return []
    configs = configs_by_id(session, sorted({row.config_id for row in rows}))
    new = [(configs[r.config_id], r.interactivity, r.value, r.timestamp) for r in rows]
    fresh = {
        (mode[0], place, ranking, target): days
        for mode in MODES
        for (place, ranking, target), days in daily_best(new, mode).items()
    }
    table = models.RankStanding.__table__
    query = select(table.c.key, table.c.days).where(
        table.c.key.in_([standing_key(key) for key in fresh])
    )
    stored: dict[str, Days] = dict(session.execute(query).all())
    standings, changed, added = [], [], []
    for key, fresh_days in fresh.items():
        text_key = standing_key(key)
        before = stored.get(text_key)
        days = _merged(before or {}, fresh_days, ranking=key[2])
        standings.append(Standing(*key, days))
        if before is None:
            mode, place, ranking, target = key
            added.append((text_key, mode, list(place), ranking, target, days))
        elif days != before:
            changed.append((text_key, days))
    bulk_update(session, table, ("days",), changed, key="key")  # type: ignore[arg-type]
    bulk_insert(
        session,
        table,  # type: ignore[arg-type]
        ("key", "mode", "slice", "ranking", "target", "days"),
        added,
    )
    return standings


def standing_key(key: StandingKey) -> str:
    mode, place, ranking, target = key
    return "|".join(str(part) for part in (mode, *place, ranking, target))


def _merged(stored: Days, fresh: Days, *, ranking: str) -> Days:
    """The stored days with the fresh bests folded in, without days older than `LOOKBACK_DAYS`
    before the newest nor days one competitor ran alone older than `OPEN_DAYS`; `stored` is left
    as it was."""
    days = dict(stored)
    for day, values in fresh.items():
        by_competitor = dict(days.get(day, {}))
        for competitor, figure in values.items():
            _keep_better(by_competitor, competitor, figure, ranking)
        days[day] = by_competitor
    newest = date.fromisoformat(max(days))
    oldest = (newest - timedelta(days=LOOKBACK_DAYS)).isoformat()
    still_open = (newest - timedelta(days=OPEN_DAYS)).isoformat()
    return {
        day: values
        for day, values in sorted(days.items())
        if day >= oldest and (len(values) >= 2 or day >= still_open)
    }
