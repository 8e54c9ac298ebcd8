"""Detection wired into processing: confirmed, suspected, outliers, identity, backfill."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.builders import night_timestamp, nightly_levels, synthetic_body
from tracker import models
from tracker.clock import utc_now
from tracker.pipeline.jobs import run_backfill_pass
from tracker.processing.change_points import detect_on_tracks
from tracker.settings import Settings
from tracker.vocabulary import ChangeDirection, ChangeState, Metric

STEP_NIGHT = 20


def post_nights(
    client: TestClient,
    auth: dict[str, str],
    levels: list[float],
    *,
    first: int = 0,
    last: int | None = None,
    engine: str = "sglang",
    hardware: str = "mi355x",
    backfill: bool = False,
    versions: dict[int, str] | None = None,
) -> list[int]:
    """Post nights ``first``..``last`` of a history, one submission each; their ids."""
    ids = []
    for night in range(first, len(levels) if last is None else last):
        version = "0.5.4"
        for since, name in sorted((versions or {}).items()):
            if night >= since:
                version = name
        body: dict[str, Any] = synthetic_body(
            engine=engine,
            night=night,
            engine_version=version,
            level=levels[night],
            hardware=hardware,
        )
        body["backfill"] = backfill
        response = client.post("/api/v1/submissions", json=body, headers=auth)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    return ids


def series_id(client: TestClient, hardware: str = "mi355x") -> int:
    items = client.get(f"/api/v1/series?hardware={hardware}").json()["items"]
    assert len(items) == 1
    return int(items[0]["id"])


def trend(client: TestClient, series: int, interactivity: int = 35) -> dict[str, Any]:
    response = client.get(f"/api/v1/series/{series}/trend?interactivity={interactivity}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def changes(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/changes?{query}")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_step_is_suspected_first_then_confirmed_with_its_commit_range(
    client: TestClient, auth: dict[str, str]
) -> None:
    levels = nightly_levels(30, steps={STEP_NIGHT: 0.9})
    post_nights(client, auth, levels, last=STEP_NIGHT + 2, versions={STEP_NIGHT: "0.5.5"})
    series = series_id(client)

    early = trend(client, series)
    assert changes(client) == []
    assert [s["direction"] for s in early["suspected"]] == ["regression"]
    assert early["suspected"][0]["timestamp"] == night_timestamp(STEP_NIGHT)

    post_nights(client, auth, levels, first=STEP_NIGHT + 2, last=STEP_NIGHT + 4)
    found = changes(client, "metric=tput_per_gpu&interactivity=35")
    assert len(found) == 1
    change = found[0]
    assert change["series_id"] == series
    assert change["direction"] == "regression"
    assert change["run_timestamp"] == night_timestamp(STEP_NIGHT)
    assert change["relative_change"] == pytest.approx(-0.10, abs=0.02)
    assert change["before"] > change["after"]
    assert change["commit_range"] == {
        "from": f"{STEP_NIGHT - 1:04d}abcdef",
        "to": f"{STEP_NIGHT:04d}abcdef",
        "compare_url": "https://github.com/sgl-project/sglang/compare/"
        f"{STEP_NIGHT - 1:04d}abcdef...{STEP_NIGHT:04d}abcdef",
        "runs_after": night_timestamp(STEP_NIGHT - 1),
        "runs_through": night_timestamp(STEP_NIGHT),
    }
    assert change["components_changed"] == {"engine_version": ["0.5.4", "0.5.5"]}
    assert change["state"] == "confirmed"
    assert change["config"]["hardware"] == "mi355x"
    assert trend(client, series)["suspected"] == []
    assert [c["id"] for c in trend(client, series)["changes"]] == [change["id"]]
    assert client.get("/api/v1/series").json()["items"][0]["last_change"]["id"] in {
        c["id"] for c in changes(client)
    }


def test_more_nights_keep_the_same_change(client: TestClient, auth: dict[str, str]) -> None:
    levels = nightly_levels(40, steps={STEP_NIGHT: 1.12})
    post_nights(client, auth, levels, last=STEP_NIGHT + 4)
    first_ids = {c["id"] for c in changes(client)}
    assert first_ids
    post_nights(client, auth, levels, first=STEP_NIGHT + 4)
    later = changes(client)
    assert {c["id"] for c in later} == first_ids
    assert all(c["direction"] == "gain" for c in later)
    assert changes(client, "state=retracted") == []


@pytest.mark.parametrize("bad_nights", [{25: 0.7}, {25: 0.75, 26: 0.8}])
def test_bad_nights_are_outliers_not_changes(
    bad_nights: dict[int, float], client: TestClient, auth: dict[str, str]
) -> None:
    levels = nightly_levels(35, outliers=bad_nights)
    post_nights(client, auth, levels)
    assert changes(client) == []
    points = trend(client, series_id(client))["points"]
    flagged = [p["timestamp"] for p in points if p["outlier"]]
    assert flagged == [night_timestamp(night) for night in sorted(bad_nights)]


def test_several_steps_up_and_down_are_all_found(client: TestClient, auth: dict[str, str]) -> None:
    levels = nightly_levels(60, steps={15: 0.88, 30: 1.15, 45: 0.9})
    post_nights(client, auth, levels)
    found = changes(client, "metric=tput_per_gpu&interactivity=35")
    assert sorted((c["run_timestamp"], c["direction"]) for c in found) == [
        (night_timestamp(15), "regression"),
        (night_timestamp(30), "gain"),
        (night_timestamp(45), "regression"),
    ]


def test_cost_trend_is_not_run_through_detection(client: TestClient, auth: dict[str, str]) -> None:
    post_nights(client, auth, nightly_levels(30, steps={STEP_NIGHT: 0.85}))
    series = series_id(client)
    assert trend(client, series)["changes"]
    cost = client.get(f"/api/v1/series/{series}/trend?interactivity=35&metric=cost_per_mtok").json()
    assert cost["changes"] == [] and cost["suspected"] == []
    assert len(cost["points"]) == 30


def test_changes_filters(client: TestClient, auth: dict[str, str]) -> None:
    post_nights(client, auth, nightly_levels(30, steps={STEP_NIGHT: 0.85}))
    post_nights(client, auth, nightly_levels(30, steps={STEP_NIGHT: 1.15}, seed=5), hardware="b200")
    assert {c["config"]["hardware"] for c in changes(client, "direction=gain")} == {"b200"}
    assert {c["config"]["hardware"] for c in changes(client, "hardware=mi355x")} == {"mi355x"}
    assert changes(client, f"since={night_timestamp(STEP_NIGHT + 1)}") == []
    metrics = {c["metric"] for c in changes(client)}
    assert metrics == {"tput_per_gpu", "output_tput_per_gpu"}
    assert client.get("/api/v1/changes?interactivity=36").status_code == 422
    assert client.get("/api/v1/changes?direction=sideways").status_code == 422
    everything = changes(client)
    page = client.get("/api/v1/changes?limit=2").json()
    rest = client.get(f"/api/v1/changes?limit=1000&cursor={page['next']}").json()
    assert [c["id"] for c in page["items"] + rest["items"]] == [c["id"] for c in everything]


def test_a_change_no_longer_found_is_retracted_and_kept(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    post_nights(client, auth, nightly_levels(30))
    track = db_session.execute(
        select(models.Track).where(
            models.Track.metric == Metric.TPUT_PER_GPU, models.Track.interactivity == 35
        )
    ).scalar_one()
    sweeps = list(
        db_session.execute(
            select(models.Sweep.id, models.Sweep.timestamp).order_by(models.Sweep.timestamp)
        ).all()
    )
    phantom = models.ChangePoint(
        track_id=track.id,
        config_id=track.config_id,
        metric=track.metric,
        interactivity=track.interactivity,
        engine="sglang",
        direction=ChangeDirection.REGRESSION,
        state=ChangeState.CONFIRMED,
        sweep_id=sweeps[10].id,
        previous_sweep_id=sweeps[9].id,
        run_timestamp=sweeps[10].timestamp,
        previous_timestamp=sweeps[9].timestamp,
        range_start_sweep_id=sweeps[9].id,
        range_end_sweep_id=sweeps[10].id,
        range_start_timestamp=sweeps[9].timestamp,
        range_end_timestamp=sweeps[10].timestamp,
        before=100.0,
        after=90.0,
        relative_change=-0.1,
        p_value=1e-6,
        commit_from=None,
        commit_to=None,
        compare_url=None,
        components_changed={},
        detected_at=utc_now(),
        updated_at=utc_now(),
        retracted_at=None,
    )
    db_session.add(phantom)
    db_session.commit()

    settings = Settings(database_url="postgresql+psycopg://unused/unused")
    detect_on_tracks(
        session=db_session,
        track_ids=[track.id],
        options=settings.detection_options,
        now=utc_now(),
        full=True,
    )
    db_session.commit()

    assert changes(client) == []
    retracted = changes(client, "state=retracted")
    assert [c["id"] for c in retracted] == [phantom.id]
    assert retracted[0]["state"] == "retracted"


def test_backfill_defers_detection_and_finds_what_nightly_finds(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    levels = nightly_levels(45, steps={15: 0.88, 30: 1.12})
    nightly = post_nights(client, auth, levels, hardware="b200")
    backfills = post_nights(client, auth, levels, hardware="h200", backfill=True)
    backfill_series = series_id(client, "h200")
    assert changes(client, "hardware=h200") == []

    def statuses(ids: list[int]) -> set[str]:
        return {client.get(f"/api/v1/submissions/{n}").json()["status"] for n in ids}

    assert statuses(nightly) == {"processed"}
    assert statuses(backfills) == {"accepted"}  # waiting for the retrospective pass

    settings = Settings(database_url="postgresql+psycopg://unused/unused")
    outcome = run_backfill_pass(session_factory=session_factory, settings=settings)
    if outcome.retry_in_s is not None:  # the quiet period after the last backfill write
        time.sleep(outcome.retry_in_s)
        outcome = run_backfill_pass(session_factory=session_factory, settings=settings)
    assert outcome.tracks > 0 and outcome.backfills == 45

    def summary(hardware: str) -> list[tuple[Any, ...]]:
        return sorted(
            (
                c["metric"],
                c["interactivity"],
                c["run_timestamp"],
                c["direction"],
                round(c["relative_change"], 9),
                c["p_value"],
            )
            for c in changes(client, f"hardware={hardware}&limit=1000")
        )

    assert summary("h200") == summary("b200")
    assert len(summary("h200")) > 0
    assert trend(client, backfill_series)["suspected"] == []
    assert statuses(backfills) == {"processed"}
