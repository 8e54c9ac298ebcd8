"""Rank flips: the leader at a target interactivity changed, and the new order held
(docs/alerts.md#rank-flips).

Two kinds of slice compete: engines on one GPU (model, precision, ISL/OSL, GPU) by throughput
per GPU, and GPUs under one engine (model, precision, ISL/OSL, engine) by throughput per GPU and
by cost per million tokens (`hyperscaler` prices; on one GPU the cost order is the throughput
order, so engines are ranked by throughput alone). A competitor's value on a day is the best of
its configs' frontier values that day. The leader is the best competitor on each day two or more
ran; a flip is confirmed once the new leader led on `confirm_runs` such days in a row and, over
them, by more than the pair's day-to-day noise (a one-sided test on their log ratios), and
change-point detection finds the pair's log ratio moved from the old leader's side of zero to
the new one's (`PairRatios`): level competitors that lead by turns make no flip. Flips of one
slice confirmed on one day with the same leaders form one alert over their targets. Only
flips confirmed within `RECENT_DAYS` of the slice's newest day are alerted, so a backfilled
history does not alert on its old flips; each flip is alerted once. A check looks only at the
standings the frontier values since the last check touched (`alerts.rank_standings`): a
standing nothing touched has no new day, so no new flip.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.messages.model import RankFlipSummary, RankSummary
from alerts.messages.rank import rank_headline
from alerts.rank_standings import (
    COST,
    ENGINES_ON_A_GPU,
    GPUS_UNDER_AN_ENGINE,
    Days,
    Standing,
    fold_new_values,
)
from alerts.records import open_notice
from alerts.routing import channels_for
from tracker import models
from tracker.detection import DetectionOptions, analyse
from tracker.detection.arrays import FloatArray
from tracker.detection.noise import noise_sigma
from tracker.reads.series import configs_by_id
from tracker.settings import SlackRoute
from tracker.vocabulary import AlertKind

RECENT_DAYS = 7
"""A flip confirmed longer ago than this before the slice's newest day is history, not news."""
MARGIN_SIGMAS = 2.33
"""Standard errors by which the new leader's mean lead over the confirming days must pass zero:
a one-sided test at 1 %, so that two competitors a few per cent apart do not flip on noise."""
ORDER_CHANGE_OPTIONS = DetectionOptions(min_relative_change=0.0)
"""The detector's defaults on a pair's log ratio, but for the relative-change bound: a change of a
log ratio near zero has no meaningful relative size."""


@dataclass(frozen=True)
class Flip:
    """A confirmed change of leader on one slice, target and ranking; the values are the two
    competitors' on the day the new lead was confirmed (the old leader's last before it, if it
    did not run that day)."""

    mode: str
    slice: tuple[object, ...]
    ranking: str  # tput_per_gpu (higher leads) or cost_per_mtok (lower leads)
    target: float
    day: date  # the first day the new leader led
    new_leader: str
    old_leader: str
    new_value: float
    old_value: float
    led_days: int  # how long the old leader had led


def find_flips(
    days: Days, *, ranking: str, confirm_runs: int
) -> list[tuple[date, date, str, str, int]]:
    """(first day of the new lead, the day it was confirmed, new leader, old leader, days the old
    one led) per confirmed flip, oldest first. A challenger's lead is confirmed once it has led
    on `confirm_runs` days in a row and, over those days, is ahead of the old leader by more than
    the pair's noise (`PairRatios.ahead_beyond_noise`) and the pair's order has changed
    (`PairRatios.order_changed`); it is tested again each day it goes on leading."""
    pairs: dict[tuple[str, str], PairRatios] = {}
    flips = []
    confirmed_leader, since = None, None
    for run_start, day, leader in held_leads(days, ranking=ranking, confirm_runs=confirm_runs):
        if leader == confirmed_leader:
            continue
        if confirmed_leader is None or since is None:
            confirmed_leader, since = leader, run_start
            continue
        pair = pairs.get((leader, confirmed_leader))
        if pair is None:
            pair = PairRatios.of(days, leader, confirmed_leader, lower_leads=ranking == COST)
            pairs[(leader, confirmed_leader)] = pair
        if not pair.ahead_beyond_noise(run_start, day) or not pair.order_changed(day):
            continue
        first, confirmed = date.fromisoformat(run_start), date.fromisoformat(day)
        led_days = (first - date.fromisoformat(since)).days
        flips.append((first, confirmed, leader, confirmed_leader, led_days))
        confirmed_leader, since = leader, run_start
    return flips


def held_leads(days: Days, *, ranking: str, confirm_runs: int) -> Iterator[tuple[str, str, str]]:
    """(first day of the run, day, leader) on each day two or more competitors ran and the day's
    leader has led for `confirm_runs` such days in a row or more, oldest first."""
    pick = min if ranking == COST else max
    run_leader, run_start, run_length = None, "", 0
    for day, values in sorted(days.items()):
        if len(values) < 2:
            continue
        leader = pick(values, key=lambda c: (values[c], c))
        if leader == run_leader:
            run_length += 1
        else:
            run_leader, run_start, run_length = leader, day, 1
        if run_length >= confirm_runs:
            yield run_start, day, leader


@dataclass(frozen=True)
class PairRatios:
    """A challenger against a leader: the log ratio of their values (new over old; old over new
    for cost, where lower leads) on each day both ran, oldest first, and the noise of one day's
    ratio (the MAD of its day-to-day differences over all those days, which steps hardly move)."""

    days: list[str]
    ratios: FloatArray
    noise: float

    @classmethod
    def of(cls, days: Days, new: str, old: str, *, lower_leads: bool) -> PairRatios:
        sign = -1.0 if lower_leads else 1.0
        both = [
            (day, sign * math.log(values[new] / values[old]))
            for day, values in sorted(days.items())
            if values.get(new, 0.0) > 0 and values.get(old, 0.0) > 0
        ]
        ratios = np.asarray([ratio for _, ratio in both], dtype=np.float64)
        return cls([day for day, _ in both], ratios, noise_sigma(ratios))

    def ahead_beyond_noise(self, first: str, last: str) -> bool:
        """Whether the challenger led over the days `first`..`last` by more than chance: the mean
        of the ratios of those days passes a one-sided test at `MARGIN_SIGMAS` standard errors."""
        during = self.ratios[bisect_left(self.days, first) : bisect_right(self.days, last)]
        if during.size == 0:
            return False
        return float(np.mean(during)) > MARGIN_SIGMAS * self.noise / math.sqrt(during.size)

    def order_changed(self, through: str) -> bool:
        """Whether the ratio up to `through` moved, by a shift change-point detection finds, from
        a level at which the old leader led to one at which the challenger leads: its last change
        (confirmed or suspected) goes from below zero to above."""
        ratios = self.ratios[: bisect_right(self.days, through)]
        analysis = analyse(ratios.tolist(), higher_is_better=True, options=ORDER_CHANGE_OPTIONS)
        changes = sorted((*analysis.change_points, *analysis.suspected), key=lambda c: c.index)
        return bool(changes) and changes[-1].before < 0.0 < changes[-1].after


def check_rank_flips(
    *,
    session: Session,
    confirm_runs: int,
    routes: Sequence[SlackRoute],
    default_channel: str | None,
    now: datetime,
) -> tuple[int, ...]:
    """Alert on recently confirmed flips not alerted yet; the alerts made. Never commits."""
    standings = fold_new_values(session)
    if not standings:
        return ()
    told = {
        key
        for details in session.execute(
            select(models.Alert.details).where(models.Alert.kind == AlertKind.RANK)
        ).scalars()
        for key in details.get("flip_keys", [])
    }
    events: dict[tuple[object, ...], list[Flip]] = defaultdict(list)
    for standing in standings:
        for flip in recent_flips(standing, confirm_runs=confirm_runs):
            if _flip_key(flip) not in told:
                events[_alert_key(flip)].append(flip)
    created = []
    for group in events.values():
        configs = _slice_configs(session, group[0])
        alert = open_notice(
            session,
            kind=AlertKind.RANK,
            engine=group[0].new_leader if group[0].mode == "engines" else str(group[0].slice[-1]),
            range_start=datetime.combine(group[0].day, datetime.min.time(), tzinfo=now.tzinfo),
            range_end=now,
            summary="",
            details={
                "mode": group[0].mode,
                "slice": list(group[0].slice),
                "ranking": group[0].ranking,
                "day": group[0].day.isoformat(),
                "flips": [
                    {
                        "target": flip.target,
                        "new_leader": flip.new_leader,
                        "old_leader": flip.old_leader,
                        "new_value": flip.new_value,
                        "old_value": flip.old_value,
                        "led_days": flip.led_days,
                    }
                    for flip in sorted(group, key=lambda f: f.target)
                ],
                "flip_keys": [_flip_key(flip) for flip in group],
                "config_ids": [config.id for config in configs],
            },
            channels=channels_for([c.as_dict() for c in configs], routes, default_channel),
            now=now,
        )
        alert.summary = rank_headline(rank_summary(alert=alert))
        created.append(alert.id)
    session.flush()
    return tuple(created)


def recent_flips(standing: Standing, *, confirm_runs: int) -> list[Flip]:
    """The standing's confirmed flips that began within `RECENT_DAYS` of its newest day."""
    days = standing.days
    last_day = date.fromisoformat(max(days))
    flips = []
    for day, confirmed, new, old, led in find_flips(
        days, ranking=standing.ranking, confirm_runs=confirm_runs
    ):
        if (last_day - day).days > RECENT_DAYS:
            continue
        # With three or more competitors the old leader may not have run that day.
        confirmed_day = confirmed.isoformat()
        old_value = next(
            days[d][old]
            for d in sorted(days, reverse=True)
            if d <= confirmed_day and old in days[d]
        )
        flips.append(
            Flip(
                standing.mode,
                standing.slice,
                standing.ranking,
                standing.target,
                day,
                new,
                old,
                days[confirmed_day][new],
                old_value,
                led,
            )
        )
    return flips


def _alert_key(flip: Flip) -> tuple[object, ...]:
    """Flips of one slice and ranking that began on one day with the same two leaders: one alert."""
    return (flip.mode, flip.slice, flip.ranking, flip.day, flip.new_leader, flip.old_leader)


def _flip_key(flip: Flip) -> str:
    return "|".join(
        str(part)
        for part in (flip.mode, *flip.slice, flip.ranking, flip.target, flip.day, flip.new_leader)
    )


def _slice_configs(session: Session, flip: Flip) -> list[models.Config]:
    mode = ENGINES_ON_A_GPU if flip.mode == "engines" else GPUS_UNDER_AN_ENGINE
    _, fields, competitor_field = mode
    conditions = [getattr(models.Config, f) == v for f, v in zip(fields, flip.slice, strict=True)]
    ids = session.execute(
        select(models.Config.id).where(
            *conditions,
            getattr(models.Config, competitor_field).in_([flip.new_leader, flip.old_leader]),
        )
    ).scalars()
    return list(configs_by_id(session, list(ids)).values())


def rank_summary(*, alert: models.Alert, public_url: str | None = None) -> RankSummary:
    """The rank alert as its messages tell it."""
    details = alert.details
    model, precision, isl, osl, place = details["slice"]
    return RankSummary(
        alert_id=alert.id,
        state=alert.state,
        mode=details["mode"],
        model=str(model),
        precision=str(precision),
        isl=int(isl),
        osl=int(osl),
        place=str(place),
        ranking=details["ranking"],
        day=date.fromisoformat(details["day"]),
        flips=tuple(RankFlipSummary(**flip) for flip in details["flips"]),
        url=f"{public_url.rstrip('/')}/alerts/{alert.id}" if public_url else None,
    )
