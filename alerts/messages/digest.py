"""Slack messages of the weekly and month-over-month digests.

Per engine × GPU × config family: throughput per GPU at 35 and 125 tok/s/user now against
`days` ago, and the steps (change points) that made the difference — "dynamo-trt on GB200
dsr1 fp4 1k/1k disagg wide-EP mtp: +20.6 % over the month in 4 steps". Families that gained
and regressed are listed apart, gains first when they lead; the steady ones follow briefly.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.messages import formatting, rollup
from alerts.messages.blocks import (
    Block,
    Context,
    Header,
    ListGroup,
    Message,
    Section,
    paginate,
    render,
)
from alerts.messages.markup import Line, bold, line
from alerts.messages.model import ChangeSummary, Digest, DigestLine
from tracker.vocabulary import AlertKind

STEADY_WITHIN = 0.02
MAX_STEPS_SHOWN = 8
MAX_DIGEST_MESSAGES = 10
HEADLINE_TARGETS = (35.0, 125.0)


class Verdict(enum.StrEnum):
    """How a config family moved over the digest's period."""

    GAIN = "gain"
    REGRESSION = "regression"
    STEADY = "steady"
    NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class FamilyTrend:
    """A digest line read: its net change (at 35 tok/s/user, else 125), steps, and verdict."""

    line: DigestLine
    relative_change: float | None
    interactivity: float | None
    steps: tuple[ChangeSummary, ...]
    verdict: Verdict


def read_trend(digest_line: DigestLine, *, steady_within: float = STEADY_WITHIN) -> FamilyTrend:
    """The net change of one family and whether it gained, regressed or held steady.

    The net change is quoted at 35 tok/s/user when the family has a value there now and then,
    else at 125; a family with neither is "not comparable" (new, or gone off the front).
    """
    relative_change: float | None = None
    target: float | None = None
    for candidate, now, then in (
        (35.0, digest_line.now_35, digest_line.then_35),
        (125.0, digest_line.now_125, digest_line.then_125),
    ):
        if now is not None and then is not None and then > 0:
            relative_change, target = now / then - 1, candidate
            break
    if relative_change is None:
        verdict = Verdict.NOT_COMPARABLE
    elif abs(relative_change) < steady_within:
        verdict = Verdict.STEADY
    else:
        verdict = Verdict.GAIN if relative_change > 0 else Verdict.REGRESSION
    return FamilyTrend(
        line=digest_line,
        relative_change=relative_change,
        interactivity=target,
        steps=_steps(digest_line.steps),
        verdict=verdict,
    )


def digest_messages(digest: Digest, *, steady_within: float = STEADY_WITHIN) -> list[Message]:
    """The digest as one message, continued in the thread when it is long.

    The first message goes to the digest channel; the rest are replies under it.
    """
    trends = [read_trend(item, steady_within=steady_within) for item in digest.lines]
    by_verdict: dict[Verdict, list[FamilyTrend]] = defaultdict(list)
    for trend in trends:
        by_verdict[trend.verdict].append(trend)
    for group in by_verdict.values():
        group.sort(key=_strongest_first)
    period = period_phrase(digest.days)

    moved = [Verdict.GAIN, Verdict.REGRESSION]
    order = moved if _gains_lead(by_verdict) else moved[::-1]
    titles = {
        Verdict.GAIN: "Gains",
        Verdict.REGRESSION: "Regressions",
        Verdict.STEADY: f"Steady (within ±{steady_within * 100:.1f} %)",
        Verdict.NOT_COMPARABLE: "Not comparable (no value then or now)",
    }
    groups = []
    for verdict in [*order, Verdict.STEADY, Verdict.NOT_COMPARABLE]:
        members = by_verdict.get(verdict, [])
        if not members:
            continue
        items = tuple(
            _moved_item(trend, period) if verdict in moved else _brief_item(trend, digest.days)
            for trend in members
        )
        groups.append(
            ListGroup(
                title=line(
                    bold(titles[verdict]),
                    f" — {formatting.plural(len(members), 'family', 'families')}",
                ),
                items=items,
                continued=line(bold(f"{titles[verdict]} (continued)")),
            )
        )
    groups.extend(_notice_groups(digest))
    generated = digest.generated_at.astimezone(UTC)
    preamble: list[Block] = [
        Header(f"📊 {digest.title}"),
        Section((line(_tally(by_verdict, period)),)),
        Context(
            (
                line(
                    f"Throughput per GPU at 35 and 125 tok/s/user, now against {digest.days} days "
                    f"ago · generated {generated:%Y-%m-%d %H:%M} UTC"
                ),
            )
        ),
    ]

    def overflow(left: tuple[int, ...]) -> Line:
        more = formatting.plural(sum(left), "more family", "more families")
        return line(f"…and {more}: see GET /api/v1/digest?days={digest.days}")

    pages = paginate(groups, preamble=preamble, max_messages=MAX_DIGEST_MESSAGES, overflow=overflow)
    return [render(page) for page in pages]


NOTICE_TITLES = {
    AlertKind.STALE: "Stale configs",
    AlertKind.DRIFT: "Drift",
    AlertKind.RANK: "Rank changes",
}


def _notice_groups(digest: Digest) -> list[ListGroup]:
    """One group per kind other than `step`: "• #42 2 configs of sglang stopped … (resolved)"."""
    groups = []
    for kind, title in NOTICE_TITLES.items():
        members = [notice for notice in digest.notices if notice.kind is kind]
        if not members:
            continue
        groups.append(
            ListGroup(
                title=line(bold(title), f" — {formatting.plural(len(members), 'alert')}"),
                items=tuple(
                    line(f"• #{notice.alert_id} {notice.summary} ({notice.state.value})")
                    for notice in members
                ),
                continued=line(bold(f"{title} (continued)")),
            )
        )
    return groups


def period_phrase(days: int) -> str:
    """ "over the week", "over the month", "over 14 days"."""
    if days == 7:
        return "over the week"
    if 28 <= days <= 31:
        return "over the month"
    return f"over {days} days"


def _moved_item(trend: FamilyTrend, period: str) -> Line:
    assert trend.relative_change is not None
    digest_line = trend.line
    count = len(trend.steps)
    how = f"in {formatting.plural(count, 'step')}" if count else "with no single confirmed step"
    summary = (
        f" {digest_line.family}: {formatting.signed_percent(trend.relative_change)}"
        f"{_where(trend)} {period} {how}"
    )
    details = [f"\n   {' · '.join(_levels(digest_line))}"]
    if trend.steps:
        details.append(f"\n   steps: {_step_list(trend.steps)}")
    return line("• ", bold(_engine_on_gpu(digest_line)), summary, *details)


def _brief_item(trend: FamilyTrend, days: int) -> Line:
    digest_line = trend.line
    if trend.relative_change is not None:
        detail = f"{formatting.signed_percent(trend.relative_change)}{_where(trend)}"
    elif digest_line.now_35 is not None or digest_line.now_125 is not None:
        detail = f"new, no value {days} days ago"
    else:
        detail = "no value now"
    return line("• ", _engine_on_gpu(digest_line), f" {digest_line.family}: {detail}")


def _where(trend: FamilyTrend) -> str:
    """Names the target only when the net change is not quoted at the usual 35 tok/s/user."""
    if trend.interactivity is None or trend.interactivity == HEADLINE_TARGETS[0]:
        return ""
    return f" at {formatting.interactivity(trend.interactivity)} tok/s/user"


def _levels(digest_line: DigestLine) -> list[str]:
    """ "35 tok/s/user: 1,000 → 1,206 tok/s/GPU (+20.6 %)", then 125 without repeating the unit."""
    levels: list[str] = []
    for target, now, then in (
        (35.0, digest_line.now_35, digest_line.then_35),
        (125.0, digest_line.now_125, digest_line.then_125),
    ):
        unit = "" if levels else " tok/s/GPU"
        label = f"{formatting.interactivity(target)} tok/s/user"
        if now is not None and then is not None and then > 0:
            levels.append(
                f"{label}: {formatting.throughput(then)} → {formatting.throughput(now)}{unit} "
                f"({formatting.signed_percent(now / then - 1)})"
            )
        elif now is not None:
            levels.append(f"{label}: {formatting.throughput(now)}{unit} now")
    return levels or ["no value at 35 or 125 tok/s/user"]


def _step_list(steps: Sequence[ChangeSummary]) -> str:
    shown = [
        f"{formatting.day(step.run_timestamp.astimezone(UTC))} "
        f"{formatting.signed_percent(step.relative_change)}"
        for step in steps[:MAX_STEPS_SHOWN]
    ]
    if len(steps) > MAX_STEPS_SHOWN:
        shown.append(f"and {len(steps) - MAX_STEPS_SHOWN} more")
    return ", ".join(shown)


def _steps(changes: Sequence[ChangeSummary]) -> tuple[ChangeSummary, ...]:
    """One change per step (a run that moved the family), oldest first: the change at the
    reference track of that run, else its largest."""
    by_run: dict[datetime, list[ChangeSummary]] = defaultdict(list)
    for change in changes:
        by_run[change.run_timestamp].append(change)
    steps = []
    for run in sorted(by_run):
        reference = rollup.reference_track(by_run[run])
        at_reference = [
            change
            for change in by_run[run]
            if (change.metric, change.interactivity) == (reference.metric, reference.interactivity)
        ]
        steps.append(max(at_reference, key=lambda c: (abs(c.relative_change), -c.change_id)))
    return tuple(steps)


def _tally(by_verdict: dict[Verdict, list[FamilyTrend]], period: str) -> str:
    counts = [
        (len(by_verdict.get(Verdict.GAIN, [])), "gained"),
        (len(by_verdict.get(Verdict.REGRESSION, [])), "regressed"),
        (len(by_verdict.get(Verdict.STEADY, [])), "held steady"),
        (len(by_verdict.get(Verdict.NOT_COMPARABLE, [])), "not comparable"),
    ]
    parts = [f"{count} {verb}" for count, verb in counts if count]
    if not parts:
        return f"No config families with values {period}."
    first_count, first_verb = next((count, verb) for count, verb in counts if count)
    noun = "family" if first_count == 1 else "families"
    parts[0] = f"{first_count} {noun} {first_verb}"
    return f"{formatting.join_words(parts)} {period}."


def _gains_lead(by_verdict: dict[Verdict, list[FamilyTrend]]) -> bool:
    gains, regressions = by_verdict.get(Verdict.GAIN, []), by_verdict.get(Verdict.REGRESSION, [])

    def strongest(group: list[FamilyTrend]) -> float:
        return max((abs(trend.relative_change or 0) for trend in group), default=0.0)

    return (len(gains), strongest(gains)) >= (len(regressions), strongest(regressions))


def _strongest_first(trend: FamilyTrend) -> tuple[float, str, str, str]:
    digest_line = trend.line
    return (
        -abs(trend.relative_change or 0),
        digest_line.engine,
        digest_line.hardware,
        digest_line.family,
    )


def _engine_on_gpu(digest_line: DigestLine) -> str:
    return f"{digest_line.engine} on {digest_line.hardware.upper()}"
