"""The submitting side of the API, as an engine's CI uses it: build a body from files, post it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracker.ingest.formats.rows import PER_REQUEST_KEYS


class ClientSettings(BaseSettings):
    """Where ``tracker submit`` posts and with which token."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    url: str = Field(default="http://127.0.0.1:8000", description="The tracker's base URL.")
    token: str | None = Field(default=None, description="A token with the submit scope.")


class ResultFileError(ValueError):
    """A result file that cannot be read as rows."""


def read_result_rows(path: Path) -> list[Any]:
    """Rows from one file, whatever its name: one JSON document (an array of rows, or one row),
    or JSON values one after another (JSON lines, as SGLang's `bench_serving` and `vllm bench
    serve --append-result` write them). Non-finite numbers (`Infinity`, `NaN`) are read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ResultFileError(f"{path}: cannot be read ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise ResultFileError(f"{path}: not UTF-8 text ({error.reason})") from error
    rows: list[Any] = []
    for document in _json_values(path, text):
        rows.extend(document if isinstance(document, list) else [document])
    if not rows:
        raise ResultFileError(f"{path}: holds no rows (an empty file or an empty list)")
    return rows


def _json_values(path: Path, text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return values
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ResultFileError(
                f"{path}: neither JSON nor JSON lines ({error.msg}: line {error.lineno} column "
                f"{error.colno})"
            ) from error
        values.append(value)


def drop_per_request_lists(rows: list[Any]) -> Counter[str]:
    """Remove from the rows the per-request lists the tracker drops at ingest anyway, but for
    `errors` (it counts failed requests): a detailed nightly file then stays far below the
    body limit. Returns list name → rows it was dropped from."""
    dropped: Counter[str] = Counter()
    for row in rows:
        if not isinstance(row, dict):
            continue
        for key in PER_REQUEST_KEYS - {"errors"}:
            if isinstance(row.get(key), list):
                del row[key]
                dropped[key] += 1
    return dropped


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
    sweep_key: str | None = None


@dataclass(frozen=True)
class BuiltSubmission:
    body: dict[str, Any]
    dropped: Counter[str]
    """Per-request lists removed before posting: name → rows."""


def build_submission(
    *,
    files: Sequence[Path],
    source: SourceOptions,
    result_format: str,
    config: dict[str, Any] | None,
    backfill: bool = False,
    final: bool = False,
) -> BuiltSubmission:
    """The JSON body of ``POST /api/v1/submissions`` for rows read from ``files``."""
    results: list[Any] = []
    for path in files:
        results.extend(read_result_rows(path))
    dropped = drop_per_request_lists(results)
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
        "sweep_key": source.sweep_key,
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
    if final:
        body["final"] = True
    return BuiltSubmission(body, dropped)


def post_submission(
    *, settings: ClientSettings, body: dict[str, Any], timeout_s: float = 60.0
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token}"
    # The body as the tracker reads it: non-finite numbers (SGLang's "request_rate": Infinity)
    # are written as JSON's Infinity and NaN, which strict encoders refuse.
    return httpx.post(
        f"{settings.url.rstrip('/')}/api/v1/submissions",
        content=json.dumps(body, allow_nan=True).encode(),
        headers=headers,
        timeout=timeout_s,
    )


def answer_lines(answer: dict[str, Any]) -> list[str]:
    """The answer as `tracker submit` prints it: the counts, then a line per skipped row,
    the lists dropped, each warning, degraded point and sweep without values."""
    repeated = f", {answer['repeated']} repeated" if answer.get("repeated") else ""
    lines = [
        f"submission {answer['id']}: {answer['status']} "
        f"({answer['results']} rows{repeated}, {answer['series']} series)"
    ]
    lines += [
        f"  skipped results.{row['index']}: {row['reason']}" for row in answer.get("skipped", [])
    ]
    if answer.get("dropped"):
        lists = ", ".join(f"{name} ({rows} rows)" for name, rows in answer["dropped"].items())
        lines.append(f"  dropped per-request lists: {lists}")
    for warning in answer.get("warnings", []):
        location = ".".join(str(part) for part in warning["loc"])
        lines.append(f"  warning {location}: {warning['msg']}")
    lines += [
        f"  degraded: series {sweep['series_id']} conc {point['conc']}: {point['reason']}, "
        "left out of the front"
        for sweep in answer.get("degraded", [])
        for point in sweep["points"]
    ]
    lines += [
        f"  series {sweep['series_id']}: sweep {sweep['sweep_id']} has no frontier value "
        f"({sweep['reason']})"
        for sweep in answer.get("without_values", [])
    ]
    return lines


def get_status(*, settings: ClientSettings, status_url: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    response = httpx.get(f"{settings.url.rstrip('/')}{status_url}", headers=headers, timeout=30)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer
