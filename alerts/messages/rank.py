"""Slack text of a rank alert: the leader at a target interactivity changed and held — "At 35
tok/s/user on MI355X, dsr1 FP8 1k/1k: sglang 2,410 now leads atom 2,330 tok/s/GPU; atom led for
41 days"."""

from __future__ import annotations

from alerts.messages import dimensions, formatting
from alerts.messages.blocks import Message
from alerts.messages.markup import Line, bold, line
from alerts.messages.model import RankFlipSummary, RankSummary
from alerts.messages.notice import notice_message

COST = "cost_per_mtok"
QUOTED_TARGET = 35.0  # the headline's target when the leader changed there


def _slice(rank: RankSummary) -> str:
    model = dimensions.model({"model": rank.model})
    words = f"{model} {rank.precision.upper()} {formatting.sequence_lengths(rank.isl, rank.osl)}"
    place = rank.place.upper() if rank.mode == "engines" else rank.place
    return f"{'on' if rank.mode == 'engines' else 'with'} {place}, {words}"


def _label(rank: RankSummary, competitor: str) -> str:
    return competitor.upper() if rank.mode == "gpus" else competitor


def _flip_sentence(rank: RankSummary, flip: RankFlipSummary) -> str:
    new, old = _label(rank, flip.new_leader), _label(rank, flip.old_leader)
    if rank.ranking == COST:
        move = (
            f"{new} {formatting.usd(flip.new_value)} is now cheaper than {old} "
            f"{formatting.usd(flip.old_value)} per M tokens"
        )
    else:
        move = (
            f"{new} {formatting.throughput(flip.new_value)} now leads {old} "
            f"{formatting.throughput(flip.old_value)} tok/s/GPU"
        )
    return f"{move}; {old} led for {formatting.plural(flip.led_days, 'day')}"


def rank_headline(rank: RankSummary) -> str:
    first = next((f for f in rank.flips if f.target == QUOTED_TARGET), rank.flips[0])
    at = f"At {formatting.interactivity(first.target)} tok/s/user {_slice(rank)}"
    more = len(rank.flips) - 1
    tail = f" (and at {formatting.plural(more, 'other target')})" if more else ""
    return f"{at}: {_flip_sentence(rank, first)}{tail}"


def rank_parent(rank: RankSummary) -> Message:
    lines: list[Line] = [
        line(bold(rank_headline(rank))),
        line(f"The new order held on every day both ran since {rank.day:%Y-%m-%d}."),
    ]
    items = [
        line(f"• {formatting.interactivity(flip.target)} tok/s/user: {_flip_sentence(rank, flip)}")
        for flip in rank.flips
    ]
    noun = "cheapest" if rank.ranking == COST else "leader"
    return notice_message(
        alert_id=rank.alert_id,
        state=rank.state,
        title=f"New {noun} {_slice(rank)}",
        lines=lines,
        items=items,
        item_noun="targets",
        url=rank.url,
    )
