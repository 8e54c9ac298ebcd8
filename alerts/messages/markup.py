"""Lines of text written once and rendered twice: as Slack mrkdwn and as plain words.

A message's fallback `text` (what notifications and the log show) must say what its blocks
say. Builders therefore write `Line`s of `Span`s (plain, bold, struck, linked) and the two
renderers derive the mrkdwn and the plain text from the same words. Every span's text is
escaped for mrkdwn here, so user-controlled strings (engine, model, component names) can
never inject a link or a mention.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote

Line = tuple["Span", ...]


@dataclass(frozen=True)
class Span:
    """A run of text with its emphasis and, optionally, the link it points to."""

    text: str
    bold: bool = False
    strike: bool = False
    url: str | None = None


def bold(words: str) -> Span:
    """Words in bold (mrkdwn `*…*`)."""
    return Span(words, bold=True)


def link(label: str, url: str | None) -> Span:
    """`label` linking to `url`; plain words when there is no URL."""
    return Span(label, url=url)


def line(*parts: Span | str) -> Line:
    """A line from spans and bare strings (bare strings are unstyled)."""
    return tuple(part if isinstance(part, Span) else Span(part) for part in parts)


def struck(words: Line) -> Line:
    """The same line struck through (mrkdwn `~…~`), e.g. for a retracted alert's description."""
    return tuple(replace(span, strike=True) for span in words)


def escape_mrkdwn(words: str) -> str:
    """Escape the three characters Slack reserves for control sequences: &, < and >."""
    return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(words: Line) -> str:
    """The line as Slack mrkdwn."""
    return "".join(_span_mrkdwn(span) for span in words)


def to_plain(words: Line) -> str:
    """The line as plain words: no markup, links written as "label (url)"."""
    return "".join(_span_plain(span) for span in words)


def _span_mrkdwn(span: Span) -> str:
    body = escape_mrkdwn(span.text)
    if span.url:
        label = body.replace("|", "¦")
        body = f"<{_safe_url(span.url)}|{label}>"
    # Emphasis markers must hug the words: keep surrounding spaces outside them.
    stripped = body.strip()
    if not stripped or not (span.bold or span.strike):
        return body
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    if span.bold:
        stripped = f"*{stripped}*"
    if span.strike:
        stripped = f"~{stripped}~"
    return f"{lead}{stripped}{trail}"


def _span_plain(span: Span) -> str:
    if span.url and span.url != span.text:
        return f"{span.text} ({span.url})"
    return span.text


def _safe_url(url: str) -> str:
    # Characters that would end or split a mrkdwn link (<, >, |, spaces) are percent-encoded;
    # & is entity-escaped like any other text.
    return escape_mrkdwn(quote(url, safe=":/?#[]@!$&'()*+,;=%~-._"))
