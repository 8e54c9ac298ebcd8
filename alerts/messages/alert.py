"""Slack messages of an alert: the parent, its thread details, and late changes.

Pure builders from `AlertSummary` to `{"text", "blocks"}`. One parent per alert and channel
says what moved (the slice, the band, the top series, commits, components, cost); the
thread lists every series, regressions and gains apart, paged across messages when long.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from alerts.messages import dimensions, formatting, markup, metrics, rollup
from alerts.messages.blocks import (
    Block,
    Context,
    Header,
    ListGroup,
    Message,
    pack_sections,
    paginate,
    render,
)
from alerts.messages.markup import Line, bold, line, link
from alerts.messages.metrics import METRIC_LABEL
from alerts.messages.model import AlertSummary, BisectionSummary, ChangeSummary, RelatedAlert
from alerts.messages.rollup import SliceSummary
from tracker.vocabulary import AlertState, BisectionState, ChangeDirection, Metric, RelationKind

TOP_SERIES_IN_PARENT = 3
MAX_COMPONENTS_SHOWN = 12
MAX_THREAD_MESSAGES = 10
MAX_RELATED_SHOWN = 5

STATE_EMOJI = {
    AlertState.UNTRIAGED: "🔴",
    AlertState.ACKNOWLEDGED: "👀",
    AlertState.INVESTIGATING: "🔍",
    AlertState.EXPECTED: "☑️",
    AlertState.INVALID: "🚫",
    AlertState.FIXED: "✅",
    AlertState.IMPROVEMENT: "📈",
    AlertState.RETRACTED: "↩️",
    AlertState.RESOLVED: "🟢",
}
TRADE_EMOJI = "⚖️"
# Components people look for first; the rest follow alphabetically.
_LEADING_COMPONENTS = ("engine_version", "image")


def parent_message(alert: AlertSummary, *, joined_late: int = 0) -> Message:
    """The one message per alert and channel; its edits use the same builder.

    `joined_late` counts change points that joined after the first posting (they are in
    `alert.changes` too); the parent then says so and points to the thread.
    """
    slices = rollup.summaries(alert.changes, engine=alert.engine)
    blocks: list[Block] = [Header(_header(alert, slices))]
    blocks.extend(pack_sections(_slice_lines(alert, slices)))
    blocks.extend(pack_sections(_fact_lines(alert, slices)))
    blocks.append(Context(_context_lines(alert, joined_late)))
    return render(blocks)


def detail_messages(alert: AlertSummary) -> list[Message]:
    """The thread under the parent: every series with its changes, regressions and gains apart."""
    preamble = [
        line(bold(f"Details of alert #{alert.alert_id}"), f" — {_engine_commits(alert)}"),
        *_related_lines(alert.related),
    ]
    return _paged_series(alert, alert.changes, preamble)


def late_change_messages(alert: AlertSummary, joined: Sequence[ChangeSummary]) -> list[Message]:
    """The thread reply for change points that joined after the parent was sent."""
    if not joined:
        raise ValueError("late_change_messages needs the changes that joined")
    title = (
        f"{formatting.plural(len(joined), 'change point')} joined alert #{alert.alert_id} "
        "after it was posted"
    )
    preamble = [line(bold(title)), line(rollup.describe_slice(joined, engine=alert.engine))]
    return _paged_series(alert, joined, preamble)


def series_line(changes: Sequence[ChangeSummary], *, engine: str | None = None) -> Line:
    """One series and its changes: "• MI355X · dsr1 FP8 8k/1k · TP8 (series 12) — tok/s/GPU at
    35: 3,100 → 2,877 (−7.2 %), 125: …"."""
    first = changes[0]
    by_metric: dict[Metric, list[ChangeSummary]] = defaultdict(list)
    for change in changes:
        by_metric[change.metric].append(change)
    moves = []
    for metric in sorted(by_metric, key=metrics.metric_rank):
        steps = ", ".join(
            f"{formatting.interactivity(change.interactivity)}: {metrics.before_after(change)}"
            for change in sorted(by_metric[metric], key=lambda c: c.interactivity)
        )
        moves.append(f"{METRIC_LABEL[metric]} at {steps}")
    return line(
        "• ",
        bold(dimensions.series_label(first.config, engine=engine)),
        f" (series {first.series_id}) — {'; '.join(moves)}",
    )


def _header(alert: AlertSummary, slices: Sequence[SliceSummary]) -> str:
    directions = {summary.direction for summary in slices}
    regressed = ChangeDirection.REGRESSION in directions
    kind = "Regression" if regressed else "Improvement" if directions else "Alert"
    traded = rollup.trade(alert.changes) is not None
    if traded:
        kind = "Trade"
    subject = f"{kind} in {_engine_commits(alert)}"
    if alert.state is AlertState.RETRACTED:
        return f"{STATE_EMOJI[AlertState.RETRACTED]} Retracted: {subject[0].lower()}{subject[1:]}"
    emoji = STATE_EMOJI[alert.state]
    if alert.state is AlertState.UNTRIAGED and not regressed:
        emoji = STATE_EMOJI[AlertState.IMPROVEMENT]
    if alert.state is AlertState.UNTRIAGED and traded:
        emoji = TRADE_EMOJI
    if alert.state is AlertState.IMPROVEMENT:
        return f"{emoji} {subject}"
    return f"{emoji} {subject} · {alert.state}"


def _slice_lines(alert: AlertSummary, slices: Sequence[SliceSummary]) -> list[Line]:
    lines = [_slice_line(summary) for summary in slices]
    traded = rollup.trade(alert.changes)
    if traded is not None:
        lines.insert(0, line(bold("Trade:"), f" {traded.phrase} — not an improvement"))
    else:
        lines[:0] = [
            _series_trade_line(t, engine=alert.engine) for t in rollup.series_trades(alert.changes)
        ]
    if not lines:
        lines = [line("No confirmed changes remain in this alert.")]
    if alert.state is AlertState.RETRACTED:
        banner = line(
            bold("Retracted:"),
            " later runs did not confirm these changes. Kept for the record; nothing to triage.",
        )
        return [banner, *(markup.struck(item) for item in lines)]
    if slices and all(summary.direction is ChangeDirection.GAIN for summary in slices):
        lines.append(line("No regressions in this commit range — nice work."))
    return lines


def _series_trade_line(traded: metrics.SeriesTrade, *, engine: str) -> Line:
    """A config that traded within a wider alert: "Trade: MI355X · dsr1 FP8 1k/1k · TP8 (series
    12): +6.1 % tput/GPU at 35 tok/s/user, p99 TTFT +38.0 % — not an improvement"."""
    return line(
        bold("Trade:"),
        f" {dimensions.series_label(traded.config, engine=engine)} (series {traded.series_id}): "
        f"{traded.trade.phrase} — not an improvement",
    )


def _slice_line(summary: SliceSummary) -> Line:
    return line(bold(summary.count_phrase), f", {summary.description}")


def _fact_lines(alert: AlertSummary, slices: Sequence[SliceSummary]) -> list[Line]:
    labelled = len(slices) > 1
    lines = [_band_line(slices)] if slices else []
    for summary in slices:
        lines.extend(_top_lines(summary, engine=alert.engine))
    lines.append(_commits_line(alert))
    if alert.bisection is not None:
        lines.append(_bisection_line(alert.bisection))
    if alert.components_changed:
        lines.append(_components_line(alert.components_changed))
    for summary in slices:
        if summary.cost is not None:
            lines.append(_cost_line(summary, labelled=labelled))
    lines.extend(_related_lines(alert.related))
    return lines


def _band_line(slices: Sequence[SliceSummary]) -> Line:
    if len(slices) == 1:
        return line(bold("Band:"), f" {slices[0].band}")
    bands = ", ".join(f"{_direction_noun(summary)} {summary.band}" for summary in slices)
    return line(bold("Band:"), f" {bands}")


def _top_lines(summary: SliceSummary, *, engine: str) -> list[Line]:
    shown = summary.top[:TOP_SERIES_IN_PARENT]
    title = f"Top {_direction_noun(summary)}"
    count = ""
    if summary.series_count > len(shown):
        count = f" ({len(shown)} of {summary.series_count} series, all in the thread)"
    lines = [line(bold(title), f"{count}:")]
    for change in shown:
        lines.append(
            line(
                "• ",
                dimensions.series_label(change.config, engine=engine),
                f" at {formatting.interactivity(change.interactivity)} tok/s/user: ",
                metrics.before_after(change, labelled=True),
            )
        )
    return lines


def _commits_line(alert: AlertSummary) -> Line:
    label = formatting.commit_range(alert.commit_from, alert.commit_to)
    start = alert.range_start.astimezone(UTC)
    end = alert.range_end.astimezone(UTC)
    return line(
        bold("Commits:"),
        " ",
        link(label, alert.compare_url),
        f", runs after {_minute(start)} up to {_minute(end)} UTC",
    )


def _bisection_line(bisection: BisectionSummary) -> Line:
    """ "Culprit: 3a4a9d9 (PR #12345 Fuse the MoE gate)", or how far the search has come."""
    runs = f"{bisection.runs_used} of {bisection.max_runs} runs"
    if bisection.state is BisectionState.FOUND and bisection.culprit:
        pull = f"PR #{bisection.culprit_pull_request} " if bisection.culprit_pull_request else ""
        title = formatting.clip(bisection.culprit_title or "", 80)
        return line(
            bold("Culprit:"),
            f" {formatting.short_commit(bisection.culprit)} ({pull}{title}), bisected in {runs}",
        )
    span = formatting.commit_range(bisection.first_remaining, bisection.last_remaining)
    left = formatting.plural(bisection.remaining, "commit")
    if bisection.state is BisectionState.NARROWED:
        why = f": {bisection.reason}" if bisection.reason else ""
        return line(bold("Bisection:"), f" narrowed to {left} ({span}) in {runs}{why}")
    if bisection.state in (BisectionState.LISTING, BisectionState.RUNNING):
        return line(bold("Bisection:"), f" running, {runs}, {left} left ({span})")
    return line(
        bold("Bisection:"), f" {bisection.state.value}: {bisection.reason or ''}".rstrip(": ")
    )


def _components_line(components: Mapping[str, tuple[str | None, str | None]]) -> Line:
    names = sorted(
        components,
        key=lambda name: (
            _LEADING_COMPONENTS.index(name)
            if name in _LEADING_COMPONENTS
            else len(_LEADING_COMPONENTS),
            name,
        ),
    )
    shown = []
    for name in names[:MAX_COMPONENTS_SHOWN]:
        old, new = components[name]
        shown.append(f"{name} {old or 'none'} → {new or 'none'}")
    if len(names) > MAX_COMPONENTS_SHOWN:
        shown.append(f"and {len(names) - MAX_COMPONENTS_SHOWN} more")
    return line(bold("Components:"), " " + ", ".join(shown))


def _cost_line(summary: SliceSummary, *, labelled: bool) -> Line:
    cost = summary.cost
    assert cost is not None
    which = "top series" if summary.top and cost.series == summary.top[0] else "top priced series"
    label = f"Cost per M tokens, {_direction_noun(summary)}" if labelled else "Cost per M tokens"
    spread = ""
    if cost.relative_changes:
        spread = (
            f"; {formatting.percent_range(cost.relative_changes)} at "
            f"{formatting.interactivity(cost.reference.interactivity)} tok/s/user"
        )
    return line(
        bold(label),
        f" ({cost.price_set}): {formatting.usd(cost.before_usd)} → {formatting.usd(cost.after_usd)}"
        f" ({formatting.signed_percent(cost.relative_change)}) on the {which}{spread}",
    )


def _related_lines(related_alerts: Sequence[RelatedAlert]) -> list[Line]:
    lines = [_related_line(related) for related in related_alerts[:MAX_RELATED_SHOWN]]
    if len(related_alerts) > MAX_RELATED_SHOWN:
        more = len(related_alerts) - MAX_RELATED_SHOWN
        lines.append(line(bold("Related:"), f" and {formatting.plural(more, 'more alert')}"))
    return lines


def _related_line(related: RelatedAlert) -> Line:
    if related.relation is RelationKind.FIXES:
        phrase = f"this looks like the fix of alert #{related.alert_id}"
    else:
        phrase = f"alert #{related.alert_id} looks like the fix of this one"
    summary = f" ({related.summary})" if related.summary else ""
    return line(bold("Related:"), f" {phrase}{summary}")


def _context_lines(alert: AlertSummary, joined_late: int) -> tuple[Line, ...]:
    series = len({change.series_id for change in alert.changes})
    counts = (
        f"{formatting.plural(len(alert.changes), 'change point')} on "
        f"{formatting.plural(series, 'series', 'series')} · details in the thread"
    )
    opening = (
        line(link(f"Alert #{alert.alert_id}", alert.url), " in Frontier Tracker")
        if alert.url
        else line(f"Alert #{alert.alert_id}")
    )
    lines = [opening, line(counts)]
    if joined_late:
        lines.append(
            line(
                f"Updated: {formatting.plural(joined_late, 'change point')} joined after "
                "the first posting (see the thread)"
            )
        )
    return tuple(lines)


def _paged_series(
    alert: AlertSummary, changes: Sequence[ChangeSummary], preamble: Sequence[Line]
) -> list[Message]:
    summaries = rollup.summaries(changes, engine=alert.engine)
    groups = [_series_group(summary, changes, engine=alert.engine) for summary in summaries]

    def overflow(left: tuple[int, ...]) -> Line:
        counts = ", ".join(
            f"{count} {_direction_noun(summary)}"
            for count, summary in zip(left, summaries, strict=True)
            if count
        )
        more = formatting.plural(sum(left), "more series", "more series")
        where = link("the alert page", alert.url) if alert.url else "the alert page in the tracker"
        return line(f"…and {more} ({counts}): see ", where)

    pages = paginate(
        groups,
        preamble=pack_sections(preamble),
        max_messages=MAX_THREAD_MESSAGES,
        overflow=overflow,
    )
    return [render(page) for page in pages]


def _series_group(
    summary: SliceSummary, changes: Sequence[ChangeSummary], *, engine: str
) -> ListGroup:
    by_series: dict[int, list[ChangeSummary]] = defaultdict(list)
    for change in changes:
        if change.direction == summary.direction:
            by_series[change.series_id].append(change)
    noun = _direction_noun(summary).capitalize()
    return ListGroup(
        title=line(
            bold(noun),
            f" — {formatting.plural(summary.series_count, 'series', 'series')}, "
            f"{formatting.plural(summary.change_count, 'change point')}, strongest first",
        ),
        items=tuple(series_line(by_series[top.series_id], engine=engine) for top in summary.top),
        continued=line(bold(f"{noun} (continued)")),
    )


def _direction_noun(summary: SliceSummary) -> str:
    return "regressions" if summary.direction is ChangeDirection.REGRESSION else "gains"


def _engine_commits(alert: AlertSummary) -> str:
    return f"{alert.engine} {formatting.commit_range(alert.commit_from, alert.commit_to)}"


def _minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"
