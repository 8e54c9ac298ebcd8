"""Block Kit messages within Slack's limits, and long lists paged across several messages.

Slack refuses a message with more than 50 blocks, a section text over 3,000 characters or a
header over 150. Builders describe a message as `Header`/`Section`/`Context`/`Divider`
blocks of `markup` lines; `render` turns them into `{"text", "blocks"}` with the fallback
text in the same words, and `paginate` spreads a long list over several messages, saying
"and N more" when it must stop, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from alerts.messages import formatting
from alerts.messages.markup import Line, Span, to_mrkdwn, to_plain

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_ELEMENTS = 10
# Our own budget, well under Slack's 40,000-character text limit: a thread message longer than
# this is a wall nobody reads, so long lists continue in the next message.
MAX_MESSAGE_CHARS = 12_000
# Room kept on the last allowed page for the "and N more" line.
_OVERFLOW_RESERVE_CHARS = 600


class Message(TypedDict):
    """A Slack message as the Web API takes it: fallback text and Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class Header:
    """A header block (plain text, at most 150 characters; longer titles end in "…")."""

    text: str


@dataclass(frozen=True)
class Section:
    """A section of mrkdwn lines (at most 3,000 characters once rendered)."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Context:
    """Small print under a message: each line one element (at most 10)."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Divider:
    """A horizontal rule."""


Block = Header | Section | Context | Divider


def render(blocks: Sequence[Block]) -> Message:
    """The message as Slack takes it, with the fallback text in the same words as the blocks."""
    rendered: list[dict[str, Any]] = []
    plain_lines: list[str] = []
    for block in blocks:
        if isinstance(block, Header):
            title = formatting.clip(block.text, MAX_HEADER_CHARS)
            rendered.append(
                {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}
            )
            plain_lines.append(title)
        elif isinstance(block, Section):
            mrkdwn = "\n".join(to_mrkdwn(item) for item in block.lines)
            assert len(mrkdwn) <= MAX_SECTION_CHARS, "sections are packed within Slack's limit"
            rendered.append({"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}})
            plain_lines.extend(to_plain(item) for item in block.lines)
        elif isinstance(block, Context):
            assert len(block.lines) <= MAX_CONTEXT_ELEMENTS
            elements = [{"type": "mrkdwn", "text": to_mrkdwn(item)} for item in block.lines]
            rendered.append({"type": "context", "elements": elements})
            plain_lines.extend(to_plain(item) for item in block.lines)
        else:
            rendered.append({"type": "divider"})
    assert len(rendered) <= MAX_BLOCKS, "pages are cut within Slack's block limit"
    return {"text": "\n".join(plain_lines), "blocks": rendered}


def fit_line(words: Line, limit: int = MAX_SECTION_CHARS) -> Line:
    """The line itself when it fits a section; otherwise its plain words cut to fit, ending in "…".

    Only pathological input (a component name of thousands of characters) needs this.
    """
    if len(to_mrkdwn(words)) <= limit:
        return words
    plain = to_plain(words)
    keep = limit
    while True:
        cut = (Span(formatting.clip(plain, keep)),)
        length = len(to_mrkdwn(cut))
        if length <= limit:
            return cut
        # Escaping (& → &amp;) made it longer: keep proportionally fewer characters.
        keep = max(1, keep * limit // length - 1)


def pack_sections(lines: Sequence[Line]) -> list[Section]:
    """Consecutive lines packed into as few sections as Slack's 3,000 characters allow."""
    sections: list[Section] = []
    current: list[Line] = []
    size = 0
    for item in (fit_line(item) for item in lines):
        length = len(to_mrkdwn(item))
        if current and size + 1 + length > MAX_SECTION_CHARS:
            sections.append(Section(tuple(current)))
            current, size = [], 0
        size += length + (1 if current else 0)
        current.append(item)
    if current:
        sections.append(Section(tuple(current)))
    return sections


@dataclass(frozen=True)
class ListGroup:
    """A titled list (e.g. the regressions, one line per series) to spread over messages."""

    title: Line
    items: tuple[Line, ...]
    continued: Line


def paginate(
    groups: Sequence[ListGroup],
    *,
    preamble: Sequence[Block] = (),
    max_messages: int,
    overflow: Callable[[tuple[int, ...]], Line],
) -> list[list[Block]]:
    """Spread the groups' items over at most `max_messages` pages of blocks.

    Items go in order, packed into sections of at most 3,000 characters and pages of at most
    50 blocks and `MAX_MESSAGE_CHARS` characters; a group cut by a page break resumes under its
    `continued` title. If the items do not fit in `max_messages` pages, the last page ends with
    `overflow(left)`, where `left` counts the items of each group that were not placed.
    """
    if max_messages < 1:
        raise ValueError("max_messages must be at least 1")
    pager = _Pager(preamble, max_messages)
    left = [len(group.items) for group in groups]
    for index, group in enumerate(groups):
        if not pager.add(group.title, new_section=True) and not (
            pager.next_page() and pager.add(group.title, new_section=True)
        ):
            break
        for item in group.items:
            if not pager.add(item):
                if not pager.next_page():
                    break
                # A fresh page always has room for a title and one line.
                pager.add(group.continued, new_section=True)
                pager.add(item)
            left[index] -= 1
        if left[index]:
            break
    if any(left):
        pager.add_overflow(overflow(tuple(left)))
    return pager.finish()


def block_chars(block: Block) -> int:
    """Rendered characters of a block, as counted against a page's budget."""
    if isinstance(block, Header):
        return min(len(block.text), MAX_HEADER_CHARS)
    if isinstance(block, Section | Context):
        return sum(len(to_mrkdwn(item)) + 1 for item in block.lines)
    return 0


class _Pager:
    """Fills pages of blocks line by line; see `paginate`."""

    def __init__(self, preamble: Sequence[Block], max_messages: int) -> None:
        self._pages: list[list[Block]] = []
        self._blocks: list[Block] = list(preamble)
        self._lines: list[Line] = []
        self._max_messages = max_messages

    def add(self, item: Line, *, new_section: bool = False) -> bool:
        """Add a line to the open section (or a new one); False when this page has no room."""
        item = fit_line(item)
        length = len(to_mrkdwn(item))
        opens_section = (
            new_section
            or not self._lines
            or (self._section_chars() + 1 + length > MAX_SECTION_CHARS)
        )
        blocks_after = len(self._blocks) + (1 if self._lines else 0) + (1 if opens_section else 0)
        max_blocks, max_chars = self._limits()
        if blocks_after > max_blocks or self._page_chars() + length + 1 > max_chars:
            return False
        if opens_section:
            self._close_section()
        self._lines.append(item)
        return True

    def next_page(self) -> bool:
        """Start a new page; False when `max_messages` pages are already in use."""
        if len(self._pages) + 1 >= self._max_messages:
            return False
        self._close_section()
        self._pages.append(self._blocks)
        self._blocks = []
        return True

    def add_overflow(self, item: Line) -> None:
        """The "and N more" line, in the room kept for it on the last page."""
        self._close_section()
        self._blocks.append(Section((fit_line(item),)))

    def finish(self) -> list[list[Block]]:
        self._close_section()
        return [*self._pages, self._blocks]

    def _limits(self) -> tuple[int, int]:
        if len(self._pages) + 1 >= self._max_messages:
            return MAX_BLOCKS - 1, MAX_MESSAGE_CHARS - _OVERFLOW_RESERVE_CHARS
        return MAX_BLOCKS, MAX_MESSAGE_CHARS

    def _section_chars(self) -> int:
        return sum(len(to_mrkdwn(item)) + 1 for item in self._lines) - 1

    def _page_chars(self) -> int:
        closed = sum(block_chars(block) for block in self._blocks)
        return closed + sum(len(to_mrkdwn(item)) + 1 for item in self._lines)

    def _close_section(self) -> None:
        if self._lines:
            self._blocks.append(Section(tuple(self._lines)))
            self._lines = []
