"""Which Slack channels an alert goes to (docs/alerts.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tracker.configs.normalise import parse_config_filter
from tracker.settings import SlackRoute

LOG_CHANNEL = "log"
"""Where alerts go without a Slack token and without a channel: the log."""


def route_matches(route: SlackRoute, config: Mapping[str, Any]) -> bool:
    """Every field of the route's ``match`` equals the config's, normalised like a filter."""
    for name, wanted in route.match.items():
        try:
            expected = parse_config_filter(name, str(wanted).lower())
        except ValueError:
            return False
        if config.get(name) != expected:
            return False
    return True


def channels_for(
    configs: Iterable[Mapping[str, Any]], routes: Sequence[SlackRoute], default: str | None
) -> list[str]:
    """Every route whose match fits at least one config; the default only when none does."""
    configs = list(configs)
    matched = sorted(
        {route.channel for route in routes if any(route_matches(route, c) for c in configs)}
    )
    return matched or [default or LOG_CHANNEL]
