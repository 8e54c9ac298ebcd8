"""The submitting side of the API, as an engine's CI uses it: build a body from files, post it
(retrying an unreachable or unavailable tracker), and say what an answer means."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from httpx_retries import Retry, RetryTransport
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracker.ingest.formats.rows import PER_REQUEST_KEYS
from tracker.runtime.failures import CommandFailure, ExitCode


class ClientSettings(BaseSettings):
    """Where ``tracker submit`` posts and with which token."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    url: str = Field(default="http://127.0.0.1:8000", description="The tracker's base URL.")
    token: str | None = Field(default=None, description="A token with the submit scope.")
    retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long to keep trying a tracker that cannot be reached or answers 502, "
        "503 or 504, in seconds of waiting; 0 tries once.",
    )


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
    pull_request: int | None = None
    base_commit: str | None = None


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
    bisect_id: int | None = None,
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
        "pull_request": source.pull_request,
        "base_commit": source.base_commit,
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
    if bisect_id is not None:
        body["purpose"] = "bisect"
        body["bisect_id"] = bisect_id
    return BuiltSubmission(body, dropped)


RETRIED_STATUSES = (502, 503, 504)
"""Answers of a tracker (or its proxy) that is restarting or overloaded: tried again."""
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
REQUEST_TIMEOUT_S = 60.0


class _AnnouncedRetry(Retry):
    """httpx-retries' policy, saying on stderr why it waits (a CI log shows the outage)."""

    def sleep(self, response: httpx.Response | Exception) -> None:
        reason = (
            f"answered {response.status_code}"
            if isinstance(response, httpx.Response)
            else f"cannot be reached ({_reason(response)})"
        )
        sys.stderr.write(f"the tracker {reason}; trying again (retry {self.attempts_made})\n")
        super().sleep(response)


def tracker_client(settings: ClientSettings) -> httpx.Client:
    """An HTTP client for the tracker that retries connection errors, timeouts and 502/503/504
    with exponential backoff (0.5 s doubling, at most 10 s apart, ``retry_seconds`` of waiting in
    all). Posting the same body again is safe: the same run key (given, or the body's digest)
    answers 200 with the first answer."""
    retry = _AnnouncedRetry(
        total=1000 if settings.retry_seconds > 0 else 0,
        allowed_methods=("GET", "POST"),
        status_forcelist=RETRIED_STATUSES,
        backoff_factor=BACKOFF_FIRST_S / 2,  # the first retry waits factor × 2
        backoff_jitter=0.5,
        max_backoff_wait=BACKOFF_MAX_S,
        total_timeout=settings.retry_seconds or None,
    )
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    return httpx.Client(
        base_url=settings.url.rstrip("/"),
        headers=headers,
        transport=RetryTransport(retry=retry),
        timeout=REQUEST_TIMEOUT_S,
    )


def post_submission(*, client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """The tracker's answer to the body (200 or 202); `CommandFailure` for anything else."""
    # Non-finite numbers (SGLang's "request_rate": Infinity) are written as JSON's Infinity and
    # NaN, which the tracker reads and strict encoders refuse.
    content = json.dumps(body, allow_nan=True).encode()
    headers = {"Content-Type": "application/json"}
    return _answer(_send(client, "POST", "/api/v1/submissions", content=content, headers=headers))


def get_status(*, client: httpx.Client, status_url: str) -> dict[str, Any]:
    """A submission's status object; `CommandFailure` when it cannot be read."""
    return _answer(_send(client, "GET", status_url))


def get_verdict(*, client: httpx.Client, submission_id: int) -> dict[str, Any]:
    """A processed candidate's verdict; `CommandFailure` when it has none."""
    response = _send(client, "GET", f"/api/v1/submissions/{submission_id}/verdict")
    if response.status_code == 404:
        raise CommandFailure(
            f"submission {submission_id} has no verdict: {_answer_detail(response)}",
            hint="a run is judged when it is a candidate: give --pull-request, or a --branch "
            "other than the engine's tracked branch (TRACKER_TRACKED_BRANCHES on the tracker)",
            code=ExitCode.REFUSED,
        )
    return _answer(response)


GATE_VERDICTS = ("regression", "inconclusive", "no_baseline", "unchanged", "improvement")
"""The verdicts `--fail-on` may name, worst first (the verdict's order)."""
DEFAULT_FAIL_ON = ("regression", "inconclusive")


def parse_fail_on(text: str) -> tuple[str, ...]:
    """``"regression,inconclusive"`` → the verdicts that fail the gate; ValueError names any
    other word."""
    words = tuple(word.strip() for word in text.split(",") if word.strip())
    unknown = [word for word in words if word not in GATE_VERDICTS]
    if unknown or not words:
        raise ValueError(
            f"--fail-on {text!r}: give verdicts among {', '.join(GATE_VERDICTS)}, comma-separated"
        )
    return words


def gate_exit_code(verdict: dict[str, Any], fail_on: Sequence[str]) -> int:
    """How `tracker submit --gate` ends: the worst item verdict named in `fail_on` decides —
    3 for inconclusive (run again), 1 for any other (regression); 0 when no item fails."""
    present = {item["verdict"] for item in verdict["items"]} or {verdict["verdict"]}
    failing = [word for word in GATE_VERDICTS if word in fail_on and word in present]
    if not failing:
        return ExitCode.OK
    return ExitCode.UNAVAILABLE if failing[0] == "inconclusive" else ExitCode.REFUSED


def _answer_detail(response: httpx.Response) -> Any:
    try:
        answer: Any = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    return answer.get("detail") if isinstance(answer, dict) else answer


def _send(client: httpx.Client, method: str, path: str, **options: Any) -> httpx.Response:
    try:
        return client.request(method, path, **options)
    except httpx.TransportError as error:
        raise CommandFailure(
            f"cannot reach the tracker at {client.base_url}: {_reason(error)}",
            hint="is it running? TRACKER_URL says where `tracker submit` posts",
            code=ExitCode.UNAVAILABLE,
        ) from error


def _reason(error: Exception) -> str:
    """The last words of an httpx error: "[Errno 111] Connection refused" → "Connection refused"."""
    text = str(error) or type(error).__name__
    return text.rsplit("] ", 1)[-1]


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.is_success:
        try:
            answer: Any = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            return answer
    raise _refusal(response, _answer_detail(response))


def _refusal(response: httpx.Response, detail: Any) -> CommandFailure:
    """What an error answer means for the person who ran the command."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url}"
    if status == 422 and isinstance(detail, list):
        lines = "\n".join(
            f"  {'.'.join(str(part) for part in error.get('loc', []))}: {error.get('msg')}"
            for error in detail
            if isinstance(error, dict)
        )
        return CommandFailure(
            f"rejected (422), nothing was stored:\n{lines}",
            hint="the body, formats and config fields: docs/formats.md",
            code=ExitCode.REFUSED,
        )
    if status == 401:
        return CommandFailure(
            f"the tracker refused the token (401): {detail}",
            hint="TRACKER_TOKEN must be a token from `tracker tokens create NAME --scope submit`, "
            "run against the tracker's own database (the command prints which one it used)",
            code=ExitCode.REFUSED,
        )
    if status == 404 and response.request.method == "POST":
        return CommandFailure(
            f"no tracker API at {where} (404)",
            hint="TRACKER_URL must be the tracker's base address, e.g. http://127.0.0.1:8000",
            code=ExitCode.UNAVAILABLE,
        )
    if status >= 500:
        return CommandFailure(
            f"the tracker failed to answer {where} ({status}): {detail}",
            hint="its log says why; trying again later may work",
            code=ExitCode.UNAVAILABLE,
        )
    return CommandFailure(f"rejected ({status}): {detail}", code=ExitCode.REFUSED)


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
