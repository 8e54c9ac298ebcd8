"""The submitting side of the API, as an engine's CI uses it: build a body from files, post it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClientSettings(BaseSettings):
    """Where ``tracker submit`` posts and with which token."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    url: str = Field(default="http://127.0.0.1:8000", description="The tracker's base URL.")
    token: str | None = Field(default=None, description="A token with the submit scope.")


class ResultFileError(ValueError):
    """A result file that cannot be read as rows."""


def read_result_rows(path: Path) -> list[Any]:
    """Rows from one file: a JSON array, a JSON object (one row), or `.jsonl` (a row a line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ResultFileError(f"{path}: cannot be read ({error.strerror})") from error
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultFileError(f"{path}: not valid JSON ({error})") from error
    return document if isinstance(document, list) else [document]


def parse_components(pairs: Sequence[str]) -> dict[str, str]:
    """``["rocm=7.0.2", "driver=580.82"]`` → ``{"rocm": "7.0.2", "driver": "580.82"}``."""
    components = {}
    for pair in pairs:
        name, separator, version = pair.partition("=")
        if not separator or not name.strip() or not version.strip():
            raise ValueError(f"component {pair!r} is not NAME=VERSION")
        components[name.strip()] = version.strip()
    return components


@dataclass(frozen=True)
class SourceOptions:
    engine: str
    timestamp: datetime
    commit: str | None = None
    image: str | None = None
    engine_version: str | None = None
    repo: str | None = None
    branch: str | None = None
    run_key: str | None = None
    run_url: str | None = None
    components: dict[str, str] | None = None


def build_submission(
    *,
    files: Sequence[Path],
    source: SourceOptions,
    result_format: str,
    config: dict[str, Any] | None,
    backfill: bool = False,
    bisect_id: int | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/submissions`` for rows read from ``files``."""
    results: list[Any] = []
    for path in files:
        results.extend(read_result_rows(path))
    source_fields: dict[str, Any] = {
        "engine": source.engine,
        "timestamp": source.timestamp.isoformat(),
        "commit": source.commit,
        "image": source.image,
        "engine_version": source.engine_version,
        "repo": source.repo,
        "branch": source.branch,
        "run_key": source.run_key,
        "run_url": source.run_url,
        "components": source.components or {},
    }
    body: dict[str, Any] = {
        "source": {name: value for name, value in source_fields.items() if value is not None},
        "format": result_format,
        "results": results,
    }
    if config is not None:
        body["config"] = config
    if backfill:
        body["backfill"] = True
    if bisect_id is not None:
        body["purpose"] = "bisect"
        body["bisect_id"] = bisect_id
    return body


def post_submission(
    *, settings: ClientSettings, body: dict[str, Any], timeout_s: float = 60.0
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    return httpx.post(
        f"{settings.url.rstrip('/')}/api/v1/submissions",
        json=body,
        headers=headers,
        timeout=timeout_s,
    )


def get_status(*, settings: ClientSettings, status_url: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    response = httpx.get(f"{settings.url.rstrip('/')}{status_url}", headers=headers, timeout=30)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer
