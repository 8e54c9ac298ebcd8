"""The `source` object of a simulated run: commit, version, image, run key and timestamp."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from tracker.demo.simulation.catalogue import (
    ENGINES,
    Engine,
    engine_version,
    source_components,
    source_image,
)

INFERENCEX_RUNS_URL = "https://github.com/SemiAnalysisAI/InferenceX/actions/runs"
ENGINE_STAGGER_MINUTES = 9  # engines' nightly runs finish a few minutes apart


def commit_sha(*, seed: int, engine: str, night: int) -> str:
    """The engine's head commit on that night: 40 hex digits, new every night, deterministic."""
    digest = hashlib.blake2b(f"{seed}:{engine}:{night}".encode(), digest_size=20)
    return digest.hexdigest()


def run_key(*, seed: int, engine: str, night: int) -> str:
    """The idempotency key of one engine's night: `sim:<seed>:<engine>:<night>`."""
    return f"sim:{seed}:{engine}:{night}"


def run_timestamp(*, night_timestamp: datetime, engine: Engine) -> datetime:
    """When the engine's run of that night finished (engines are staggered by a few minutes)."""
    position = [candidate.name for candidate in ENGINES].index(engine.name)
    return night_timestamp + timedelta(minutes=ENGINE_STAGGER_MINUTES * position)


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z` suffix, as the submission contract expects."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def source_object(
    *, seed: int, engine: Engine, night: int, release_index: int, timestamp: datetime
) -> dict[str, object]:
    """The submission's `source`, as docs/api.md's `POST /api/v1/submissions` expects it."""
    version = engine_version(engine, release_index)
    commit = commit_sha(seed=seed, engine=engine.name, night=night)
    run_id = 19_000_000_000 + int(commit[:8], 16) % 1_000_000_000
    return {
        "engine": engine.name,
        "engine_version": version,
        "image": source_image(engine, version),
        "commit": commit,
        "repo": engine.repo,
        "branch": "main",
        "run_key": run_key(seed=seed, engine=engine.name, night=night),
        "run_url": f"{INFERENCEX_RUNS_URL}/{run_id}",
        "timestamp": iso_z(timestamp),
        "components": source_components(engine, version),
    }
