"""Slack text of a stale alert: configs of one engine that stopped reporting on the same night
while the engine goes on — "14 configs of sglang stopped reporting after 2026-04-02: all FP8
disagg wide-EP on MI355X"."""

from __future__ import annotations

from alerts.messages import dimensions, formatting, rollup
from alerts.messages.blocks import Message
from alerts.messages.markup import Line, bold, line
from alerts.messages.model import StaleSummary
from alerts.messages.notice import notice_message, resolution_message

SECONDS_PER_HOUR = 3600.0


def stale_headline(stale: StaleSummary) -> str:
    configs = [entry.config for entry in stale.configs]
    return (
        f"{formatting.plural(len(configs), 'config')} of {stale.engine} stopped reporting after "
        f"{stale.stopped_after:%Y-%m-%d}: {rollup.describe_configs(configs, engine=stale.engine)}"
    )


def cadence(gap_s: float) -> str:
    """ "nightly", "every 2 days", "every 6 h"."""
    days = gap_s / 86_400
    if 0.8 <= days <= 1.2:
        return "nightly"
    if days >= 1:
        return f"every {days:.3g} days"
    return f"every {gap_s / SECONDS_PER_HOUR:.3g} h"


def stale_parent(stale: StaleSummary) -> Message:
    returned = [entry for entry in stale.configs if entry.returned]
    lines: list[Line] = [
        line(bold(stale_headline(stale))),
        line(
            f"Expected {cadence(stale.expected_gap_s)}; {stale.engine} kept posting other configs "
            f"(its newest run {stale.engine_latest:%Y-%m-%d %H:%M} UTC)."
        ),
    ]
    if returned:
        lines.append(line(f"Back: {len(returned)} of {len(stale.configs)} configs reported again."))
    items = [
        line(
            "• ",
            dimensions.series_label(entry.config, engine=stale.engine),
            f" (series {entry.series_id}) — last run {entry.last_run:%Y-%m-%d}",
            " (back)" if entry.returned else "",
        )
        for entry in stale.configs
    ]
    return notice_message(
        alert_id=stale.alert_id,
        state=stale.state,
        title=f"Stale configs of {stale.engine}",
        lines=lines,
        items=items,
        item_noun="configs",
        url=stale.url,
    )


def stale_resolution(stale: StaleSummary) -> Message:
    return resolution_message(
        alert_id=stale.alert_id,
        lines=[
            line(
                f"Data returned: all {formatting.plural(len(stale.configs), 'config')} of "
                f"{stale.engine} reported again."
            )
        ],
    )
