"""Numbers, commits and dates as people read them in Slack.

Thousands separators, one decimal for percentages, a real minus sign (U+2212), short commits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

MINUS = "−"
ELLIPSIS = "…"
ARROW = "→"
SHORT_COMMIT_LENGTH = 7


def signed_percent(fraction: float) -> str:
    """A relative change as a percentage with its sign: 0.21 → "+21.0 %", -0.072 → "−7.2 %"."""
    rounded = round(fraction * 100, 1)
    if rounded == 0:
        return "0.0 %"
    sign = "+" if rounded > 0 else MINUS
    return f"{sign}{abs(rounded):.1f} %"


def percent_range(fractions: Sequence[float]) -> str:
    """Relative changes from the weakest to the strongest: "−7.2 … −11.4 %", or one value."""
    if not fractions:
        raise ValueError("percent_range needs at least one value")
    weakest = min(fractions, key=abs)
    strongest = max(fractions, key=abs)
    if signed_percent(weakest) == signed_percent(strongest):
        return signed_percent(strongest)
    return f"{signed_percent(weakest).removesuffix(' %')} {ELLIPSIS} {signed_percent(strongest)}"


def throughput(tokens_per_s: float) -> str:
    """Throughput in tok/s/GPU: whole numbers with separators, one decimal below 100."""
    if abs(tokens_per_s) >= 100:
        return f"{tokens_per_s:,.0f}"
    return f"{tokens_per_s:.1f}"


def seconds(amount_s: float) -> str:
    """A latency: "91 ms" below a second (one decimal below 10 ms), "1.24 s" from one."""
    if amount_s >= 1:
        return f"{amount_s:,.2f} s"
    milliseconds = amount_s * 1000
    return f"{milliseconds:.1f} ms" if milliseconds < 10 else f"{milliseconds:.0f} ms"


def joules(amount_j: float) -> str:
    """An energy per token with three significant digits: "3.71 J", "0.409 J", "12.4 J"."""
    if amount_j <= 0:
        return f"{amount_j:.2f} J"
    return f"{amount_j:,.{_three_significant_decimals(amount_j)}f} J"


def usd(amount: float) -> str:
    """A cost in US dollars with three significant digits: "$0.206", "$4.11", "$1,234"."""
    if amount >= 100:
        return f"${amount:,.0f}"
    if amount <= 0:
        return f"${amount:.2f}"
    return f"${amount:.{_three_significant_decimals(amount)}f}"


def _three_significant_decimals(amount: float) -> int:
    """Decimals that leave three significant digits of a positive amount below 1,000."""
    return max(2 - math.floor(math.log10(amount)), 0)


def interactivity(tokens_per_s_per_user: float) -> str:
    """A target interactivity without a needless decimal: 35.0 → "35", 12.5 → "12.5"."""
    if float(tokens_per_s_per_user).is_integer():
        return f"{tokens_per_s_per_user:.0f}"
    return f"{tokens_per_s_per_user:g}"


def interactivity_band(targets: Iterable[float]) -> str:
    """The targets that moved as a band: "10–125 tok/s/user", or one target."""
    values = sorted(set(targets))
    if not values:
        raise ValueError("interactivity_band needs at least one target")
    if len(values) == 1:
        return f"{interactivity(values[0])} tok/s/user"
    return f"{interactivity(values[0])}–{interactivity(values[-1])} tok/s/user"


def short_commit(commit: str) -> str:
    """The first seven characters of a commit hash (other references are kept whole)."""
    return commit[:SHORT_COMMIT_LENGTH]


def commit_range(commit_from: str | None, commit_to: str | None) -> str:
    """The commit range of an alert: "4f2c1e9…9a1b7c3"; one end when the other is unknown."""
    if commit_from and commit_to:
        if commit_from == commit_to:
            return short_commit(commit_to)
        return f"{short_commit(commit_from)}{ELLIPSIS}{short_commit(commit_to)}"
    if commit_to:
        return f"{ELLIPSIS}{short_commit(commit_to)}"
    if commit_from:
        return f"{short_commit(commit_from)}{ELLIPSIS}"
    return "unknown commits"


def sequence_lengths(isl: int | None, osl: int | None) -> str:
    """ISL/OSL in the InferenceX style: 1024/1024 → "1k/1k", 8192/1024 → "8k/1k"."""
    return f"{_token_count(isl)}/{_token_count(osl)}"


def _token_count(tokens: int | None) -> str:
    if tokens is None:
        return "?"
    if tokens >= 1024 and tokens % 1024 == 0:
        return f"{tokens // 1024}k"
    if tokens >= 1000 and tokens % 1000 == 0:
        return f"{tokens // 1000}k"
    return str(tokens)


def day(moment: datetime) -> str:
    """A calendar day for step lists: "Nov 3"."""
    return f"{moment:%b} {moment.day}"


def join_words(words: Sequence[str]) -> str:
    """An English list: ["a"] → "a", ["a", "b", "c"] → "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 series", "3 models": the count with the right noun."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {noun}"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS
