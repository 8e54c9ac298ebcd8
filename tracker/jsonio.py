"""JSON encoding and decoding for the hot paths (orjson), with the standard library as fallback."""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Decode JSON. Documents with NaN or Infinity, which orjson refuses, are decoded by the
    standard library so that validation can name the field that holds them."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(document: Any) -> str:
    """Compact JSON text; NaN and infinities become null (JSON has no spelling for them)."""
    return orjson.dumps(document).decode()


def canonical_bytes(document: Any) -> bytes:
    """Compact JSON with keys sorted: equal documents give equal bytes whatever their key order."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
