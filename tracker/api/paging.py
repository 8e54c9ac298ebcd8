"""Query parameters and the answer shape shared by every listing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from tracker.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}).")
]
Cursor = Annotated[str | None, Query(description="The `next` of the previous page.")]


def items_page(page: Page[Any]) -> dict[str, Any]:
    """``{"items": [...], "next": cursor | null}``."""
    items = [
        item.model_dump(by_alias=True) if isinstance(item, BaseModel) else item
        for item in page.items
    ]
    return {"items": items, "next": page.next_cursor}
