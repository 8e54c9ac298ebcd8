"""Digests: figures agree with the trend reads; each period is posted once."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alerts.jobs import MONTHLY, WEEKLY, due_period_end, post_due_digests
from alerts.reads import read_digest
from tests.support.alert_history import post_history
from tests.support.builders import night_timestamp, synthetic_body
from tests.support.slack_stand_in import SlackStandIn
from tracker.settings import Settings

RAMP = {17: 1.05, 24: 1.06, 31: 1.05, 38: 1.04}  # a month of wide-EP kernel work
CONFIGS = [
    {"hardware": "gb200", "precision": "fp4", "tp": 8},
    {"hardware": "gb200", "precision": "fp4", "tp": 4},
]


def trend_level_at(client: TestClient, series_id: int, target: int, moment: datetime) -> float:
    """The median of the last three trend points up to ``moment``."""
    points = client.get(f"/api/v1/series/{series_id}/trend?interactivity={target}").json()["points"]
    upto = sorted(
        (p for p in points if datetime.fromisoformat(p["timestamp"]) <= moment),
        key=lambda p: p["timestamp"],
    )
    return statistics.median(p["value"] for p in upto[-3:])


def test_digest_figures_match_the_trend_reads(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    post_history(client, auth, engine="dynamo-trt", configs=CONFIGS, nights=45, steps=RAMP)
    now = datetime.fromisoformat(night_timestamp(44))
    digest = read_digest(session=db_session, days=30, now=now)

    (line,) = digest.lines
    assert (line.engine, line.hardware) == ("dynamo-trt", "gb200")
    assert line.family["precision"] == "fp4" and line.label.startswith("deepseek-r1-0528 fp4")
    series = [item["id"] for item in client.get("/api/v1/series").json()["items"]]
    then = now - timedelta(days=30)
    for target in (35, 125):
        key = str(target)
        if key not in line.now:
            continue
        assert line.now[key] == pytest.approx(
            max(trend_level_at(client, s, target, now) for s in series)
        )
        assert line.then[key] == pytest.approx(
            max(trend_level_at(client, s, target, then) for s in series)
        )
    assert line.relative_change["35"] == pytest.approx(line.now["35"] / line.then["35"] - 1)
    assert line.relative_change["35"] == pytest.approx(1.05 * 1.06 * 1.05 * 1.04 - 1, abs=0.03)
    steps = sorted(c.run_timestamp.isoformat().replace("+00:00", "Z") for c in line.changes)
    assert steps == [night_timestamp(night) for night in sorted(RAMP)]
    api = client.get("/api/v1/digest?days=30").json()
    assert api["days"] == 30 and isinstance(api["lines"], list)
    naive = now.replace(tzinfo=None).isoformat()  # the digest's moment; without a zone, UTC
    (at_the_last_night,) = client.get(f"/api/v1/digest?days=30&until={naive}").json()["lines"]
    assert at_the_last_night["relative_change"]["35"] == pytest.approx(line.relative_change["35"])
    assert client.get("/api/v1/digest?days=0").status_code == 422


def test_digest_periods() -> None:
    wednesday = datetime.fromisoformat("2026-11-25T12:00:00+00:00")
    assert due_period_end(WEEKLY, wednesday).isoformat() == "2026-11-23T08:00:00+00:00"
    assert due_period_end(MONTHLY, wednesday).isoformat() == "2026-11-01T08:00:00+00:00"
    early = datetime.fromisoformat("2026-12-01T07:00:00+00:00")
    assert due_period_end(MONTHLY, early).isoformat() == "2026-11-01T08:00:00+00:00"


def test_each_digest_is_posted_once_per_period(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="dynamo-trt", configs=CONFIGS, nights=45, steps=RAMP)
    with SlackStandIn(token="xoxb-test") as slack:
        settings = Settings(
            database_url="postgresql+psycopg://unused/unused",
            slack_token="xoxb-test",
            slack_api_url=slack.base_url,
            slack_channel="C0ALERTS",
            slack_digest_channel="C0DIGEST",
        )
        moment = datetime.fromisoformat("2026-07-16T09:00:00+00:00")
        posted = post_due_digests(session_factory=session_factory, settings=settings, now=moment)
        again = post_due_digests(session_factory=session_factory, settings=settings, now=moment)
        parents = slack.parents("C0DIGEST")
    assert posted == ["weekly", "monthly"] and again == []
    assert len(parents) == 2
    monthly = next(p for p in parents if "Month over month" in p.text)
    assert "dynamo-trt on GB200" in monthly.text
    assert slack.parents("C0ALERTS") == []


def test_one_bad_last_night_does_not_move_the_digest(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    post_history(
        client, auth, engine="dynamo-trt", configs=CONFIGS[:1], nights=45, steps={}, seed=4
    )
    now = datetime.fromisoformat(night_timestamp(44))
    steady = read_digest(session=db_session, days=30, now=now).lines[0].relative_change["35"]
    assert abs(steady) < 0.02
    bad_night = synthetic_body(engine="dynamo-trt", night=45, level=0.7, **CONFIGS[0])
    assert client.post("/api/v1/submissions", json=bad_night, headers=auth).status_code == 202
    later = now + timedelta(days=1)
    assert (
        abs(read_digest(session=db_session, days=30, now=later).lines[0].relative_change["35"])
        < 0.02
    )
