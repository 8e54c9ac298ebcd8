"""Settings from the environment (prefix ``TRACKER_``), docs/api.md.

Absent ``TRACKER_DATABASE_URL`` means the embedded SQLite file; absent ``TRACKER_BROKER_URL`` means
tasks run in-process. Those two choices are the only difference between the embedded default and
production (docs/runtime.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracker.detection import DetectionOptions
from tracker.detection.drift import DriftOptions

EMBEDDED_DATABASE_PATH = Path(".tracker") / "tracker.db"
DEFAULT_INTERACTIVITY_TARGETS = (10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 125.0, 150.0, 200.0)


def normalise_database_url(url: str) -> str:
    """Rewrite ``postgres://`` and ``postgresql://`` to the psycopg 3 driver URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def check_channel_id(channel: str) -> str:
    if not CHANNEL_ID.match(channel):
        raise ValueError(f"{channel!r} is not a Slack channel ID (C…); names are not accepted")
    return channel


class SlackRoute(BaseModel):
    """Alerts with a change whose config matches every field of ``match`` go to ``channel``."""

    match: dict[str, str | int | bool] = Field(min_length=1)
    channel: str

    @field_validator("channel")
    @classmethod
    def _check_channel(cls, channel: str) -> str:
        return check_channel_id(channel)


class BisectWorkflow(BaseModel):
    """The engine's CI workflow that benchmarks one commit for a bisection: a GitHub Actions
    workflow with `workflow_dispatch` inputs `commit`, `configs` (JSON) and `bisect_id`."""

    workflow: str = Field(min_length=1, examples=["bisect.yml"])
    ref: str = Field(default="main", min_length=1, description="Branch the workflow runs from.")
    repository: str | None = Field(
        default=None,
        description="owner/name on GitHub; default: the engine's known repository.",
        examples=["sgl-project/sglang"],
    )


DEFAULT_TRACKED_BRANCH = "main"


def tracked_branch(tracked_branches: Mapping[str, str] | None, engine: str) -> str:
    """The branch whose runs are `engine`'s history (TRACKER_TRACKED_BRANCHES; main for an
    engine not named)."""
    return (tracked_branches or {}).get(engine, DEFAULT_TRACKED_BRANCH)


class Settings(BaseSettings):
    """Service settings; every field is read from ``TRACKER_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql+psycopg://user@host:port/db; absent: embedded SQLite file.",
    )
    broker_url: str | None = Field(
        default=None, description="Celery broker (redis://…); absent: tasks run in-process."
    )
    public_reads: bool = Field(default=True, description="Reads need no token when true.")
    max_submission_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    interactivity_targets: Annotated[tuple[float, ...], NoDecode] = Field(
        default=DEFAULT_INTERACTIVITY_TARGETS,
        description="Interactivities (tok/s/user) at which frontier values are read.",
    )
    confirm_runs: int = Field(
        default=3, ge=1, description="Later runs that must confirm a change before it is alerted."
    )
    min_relative_change: float = Field(
        default=0.02, ge=0, lt=1, description="Smallest relative change reported (0.02 = 2 %)."
    )
    max_p_value: float = Field(
        default=1e-3, gt=0, lt=1, description="Largest p-value (search-adjusted) of a change."
    )
    min_shift_sigmas: float = Field(
        default=1.0,
        ge=0,
        description="Smallest shift reported, in units of the track's own noise.",
    )
    location_confidence: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="Confidence that a change's commit range holds the commit that changed it.",
    )
    stale_after_runs: int = Field(
        default=3,
        ge=1,
        description="Expected runs a config may miss, while its engine posts others, before it "
        "is stale.",
    )
    drift_threshold: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Relative move from a track's best level of the last TRACKER_DRIFT_DAYS "
        "that no detected step explains: a drift (0.05 = 5 %).",
    )
    drift_days: float = Field(
        default=30.0, gt=0, description="How far back a track's best level is looked for."
    )
    alert_settle_seconds: float = Field(
        default=600.0,
        ge=0,
        description="Changes wait this long for the rest of their night before an alert is made; "
        "the clock restarts when a change joins, up to three windows in all.",
    )
    slack_token: SecretStr | None = Field(
        default=None, description="Bot token; absent: alerts and digests go to the log."
    )
    slack_channel: str | None = Field(
        default=None, description="Channel ID (C…) for alerts no route matches."
    )
    slack_digest_channel: str | None = Field(
        default=None, description="Channel ID for digests; default: slack_channel."
    )
    slack_routes: Annotated[tuple[SlackRoute, ...], NoDecode] = Field(
        default=(),
        description='JSON: [{"match": {"framework": "sglang"}, "channel": "C…"}].',
    )
    slack_api_url: str | None = Field(
        default=None, description="slack-sdk base_url, e.g. a local stand-in for tests."
    )
    public_url: str | None = Field(
        default=None, description="The dashboard's public address, for links in Slack messages."
    )
    github_token: SecretStr | None = Field(
        default=None, description="GitHub token; absent: nothing is dispatched for bisections."
    )
    github_api_url: str = Field(
        default="https://api.github.com", description="GitHub REST API root (a stand-in in tests)."
    )
    bisect_workflows: Annotated[dict[str, BisectWorkflow], NoDecode] = Field(
        default_factory=dict,
        description='JSON: {"sglang": {"workflow": "bisect.yml", "ref": "main"}}, by engine.',
    )
    bisect_max_runs: int = Field(
        default=6, ge=1, le=50, description="Runs a bisection may ask for, reruns included."
    )
    bisect_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A refused dispatch is tried again after this long, doubling up to an hour.",
    )
    bisect_automatic: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Engines whose regression alerts start a bisection by themselves "
        "(comma-separated).",
    )
    sweep_assembly_seconds: float = Field(
        default=900.0,
        ge=0,
        description="A run posted per job (a sweep key) is complete when a post says final, or "
        "when no post has come for this long; then its sweeps are processed.",
    )
    max_failed_request_fraction: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="A point whose failed requests are more than this fraction of those it sent "
        "is degraded: kept, but left out of the front (0: any failed request).",
    )
    tracked_branches: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description='JSON: {"sglang": "main"}, the branch whose runs are an engine\'s history '
        "(main for an engine not named); a run of another branch, or of a pull request, is a "
        "candidate.",
    )
    verdict_confidence: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="Confidence of the interval a candidate's change is judged by.",
    )
    stale_submission_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Submissions still accepted after this long are processed again (beat, or the "
        "embedded default's periodic thread).",
    )
    payload_retention_days: float | None = Field(
        default=90.0,
        ge=0,
        description="Raw payloads (submission bodies as received) are deleted this many days after "
        "they arrived, once processed, by a periodic stage; the rows, sweeps and values stay. "
        "0 or null keeps them forever.",
    )

    @field_validator("slack_routes", "bisect_workflows", "tracked_branches", mode="before")
    @classmethod
    def _parse_json(cls, raw: object) -> object:
        return json.loads(raw) if isinstance(raw, str) else raw

    @field_validator("bisect_automatic", mode="before")
    @classmethod
    def _parse_engines(cls, raw: object) -> object:
        if isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw

    @field_validator("slack_channel", "slack_digest_channel")
    @classmethod
    def _check_channel(cls, channel: str | None) -> str | None:
        return check_channel_id(channel) if channel else None

    @field_validator("database_url")
    @classmethod
    def _rewrite_scheme(cls, url: str | None) -> str | None:
        return normalise_database_url(url) if url else None

    @field_validator("interactivity_targets", mode="before")
    @classmethod
    def _parse_targets(cls, raw: object) -> object:
        if isinstance(raw, str):
            return tuple(float(part) for part in raw.split(",") if part.strip())
        return raw

    @field_validator("interactivity_targets")
    @classmethod
    def _check_targets(cls, targets: tuple[float, ...]) -> tuple[float, ...]:
        if not targets:
            raise ValueError("at least one interactivity target is needed")
        if any(t <= 0 for t in targets):
            raise ValueError("interactivity targets must be positive")
        return tuple(sorted(set(targets)))

    @property
    def resolved_database_url(self) -> str:
        """The URL to connect to: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{EMBEDDED_DATABASE_PATH}"

    @property
    def detection_options(self) -> DetectionOptions:
        return DetectionOptions(
            confirm_runs=self.confirm_runs,
            min_relative_change=self.min_relative_change,
            max_p_value=self.max_p_value,
            min_shift_sigmas=self.min_shift_sigmas,
            location_confidence=self.location_confidence,
        )

    @property
    def drift_options(self) -> DriftOptions:
        return DriftOptions(threshold=self.drift_threshold, days=self.drift_days)

    @property
    def digest_channel(self) -> str | None:
        return self.slack_digest_channel or self.slack_channel

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
