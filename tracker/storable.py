"""The one rule for text the database can store, applied wherever text comes in (URLs, JSON
bodies): Postgres text holds no NUL (U+0000), and UTF-8 has no lone surrogates (U+D800–U+DFFF,
which JSON's ``\\ud800`` escapes can spell). Such text is refused with a 422, never stripped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")
STORABLE_TEXT_PATTERN = "^[^\\u0000]*$"
"""The rule as a JSON Schema pattern, for the OpenAPI document: no NUL. A lone surrogate is not a
Unicode scalar value, so no JSON Schema string holds one; the document's description says so."""
TYPE = "string_unstorable"


def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    found = UNSTORABLE_CHARACTER.search(text)
    if found is None:
        return None
    character = f"U+{ord(found.group()):04X}"
    what = "NUL" if found.group() == "\x00" else "a lone surrogate"
    return f"text holds {what} ({character}) at position {found.start()}, which cannot be stored"


def unstorable_texts(
    document: Any, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string of a decoded JSON document (keys included) that breaks the rule: its
    location and why."""
    if isinstance(document, str):
        reason = unstorable_reason(document)
        if reason is not None:
            yield loc, reason
    elif isinstance(document, dict):
        for key, value in document.items():
            key_reason = unstorable_reason(key) if isinstance(key, str) else None
            if key_reason is not None:
                yield (*loc, key), f"the key: {key_reason}"
            yield from unstorable_texts(value, (*loc, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from unstorable_texts(value, (*loc, index))
