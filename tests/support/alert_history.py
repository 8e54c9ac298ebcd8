"""Histories posted through the API that make change points, for the alert tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.builders import nightly_levels, synthetic_body

# Five MI355X FP8 configs of one engine (single-node: ISL/OSL and TP vary).
MI355X_FP8 = [
    {"hardware": "mi355x", "precision": "fp8", "isl": isl, "osl": osl, "tp": tp}
    for isl, osl, tp in (
        (1024, 1024, 8),
        (8192, 1024, 8),
        (1024, 8192, 8),
        (1024, 1024, 4),
        (8192, 1024, 4),
    )
]


def history_bodies(
    *,
    engine: str,
    configs: list[dict[str, Any]],
    nights: int,
    steps: dict[int, float],
    first_night: int = 0,
    seed: int = 3,
    noise: float = 0.01,
) -> list[dict[str, Any]]:
    """One submission per night, holding every config of ``configs``, each with its own seeded
    noise and the same steps — as one engine commit moves them all."""
    levels = [
        nightly_levels(nights, steps=steps, noise=noise, seed=seed + i) for i in range(len(configs))
    ]
    bodies = []
    for night in range(first_night, nights):
        body: dict[str, Any] | None = None
        for config, config_levels in zip(configs, levels, strict=True):
            night_body = synthetic_body(
                engine=engine,
                night=night,
                engine_version="0.5.4",
                level=config_levels[night],
                **config,
            )
            if body is None:
                body = night_body
                body["source"]["run_key"] = f"{engine}:{night}:{seed}:{first_night}"
            else:
                body["results"].extend(night_body["results"])
        assert body is not None
        bodies.append(body)
    return bodies


def post_history(client: httpx.Client, auth: dict[str, str], **history: Any) -> None:
    """`history_bodies(**history)` posted night by night."""
    for body in history_bodies(**history):
        response = client.post("/api/v1/submissions", json=body, headers=auth)
        assert response.status_code == 202, response.text
