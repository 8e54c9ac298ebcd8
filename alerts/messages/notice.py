"""The parent and the resolution reply of alerts that end on their own (stale, drift): a
header with the state, the lines of the kind's builder, and a context line."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.messages.alert import STATE_EMOJI
from alerts.messages.blocks import Context, Header, Message, pack_sections, render
from alerts.messages.markup import Line, line, link
from tracker.vocabulary import AlertState

MAX_ITEMS_LISTED = 20


def notice_message(
    *,
    alert_id: int,
    state: AlertState,
    title: str,
    lines: Sequence[Line],
    items: Sequence[Line],
    item_noun: str,
    url: str | None,
) -> Message:
    """A parent: "🔴 Stale configs: …" with the triage state, the lines, the first
    `MAX_ITEMS_LISTED` items (then "… and N more configs"), the alert's link."""
    header = f"{STATE_EMOJI[state]} {title}"
    if state is not AlertState.UNTRIAGED:
        header += f" · {state.value}"
    opening = (
        line(link(f"Alert #{alert_id}", url), " in Frontier Tracker")
        if url
        else line(f"Alert #{alert_id}")
    )
    listed = list(items[:MAX_ITEMS_LISTED])
    if len(items) > MAX_ITEMS_LISTED:
        listed.append(line(f"… and {len(items) - MAX_ITEMS_LISTED} more {item_noun}"))
    return render([Header(header), *pack_sections([*lines, *listed]), Context((opening,))])


def resolution_message(*, alert_id: int, lines: Sequence[Line]) -> Message:
    """The thread reply when the tracker resolves the alert."""
    title = line(f"{STATE_EMOJI[AlertState.RESOLVED]} Alert #{alert_id} resolved")
    return render([*pack_sections([title, *lines])])
