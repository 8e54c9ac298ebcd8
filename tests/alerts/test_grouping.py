"""Grouping change points into alerts, the settle window, fixes, triage (docs/alerts.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.grouping import group_pending_changes, overlaps
from alerts.jobs import run_alert_grouping
from tests.conftest import make_token
from tests.support.alert_history import MI355X_FP8, post_history
from tests.support.builders import night_timestamp
from tracker import models
from tracker.clock import utc_now
from tracker.settings import Settings
from tracker.vocabulary import ChangeState, TokenScope

SETTLED = Settings(database_url="postgresql+psycopg://unused/unused", alert_settle_seconds=0)


def alerts(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"/api/v1/alerts?{query}").json()["items"]
    return items


def group(session_factory: sessionmaker[Session]) -> None:
    run_alert_grouping(session_factory=session_factory, settings=SETTLED)


def suspected_regression(*, night: int) -> dict[str, Any]:
    """A track's suspected change as detection keeps it: a 40 % rise of a latency, say."""
    return {
        "sweep_id": 1,
        "timestamp": night_timestamp(night).replace("Z", "+00:00"),
        "direction": "regression",
        "relative_change": 0.4,
        "before": 100.0,
        "after": 140.0,
    }


def test_one_commit_moving_thirty_tracks_is_one_alert_with_its_slice(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8, nights=26, steps={20: 0.9})
    changes = client.get("/api/v1/changes?limit=1000").json()["items"]
    assert len(changes) >= 30
    group(session_factory)

    (alert,) = alerts(client)
    assert alert["engine"] == "sglang"
    assert alert["state"] == "untriaged"
    assert alert["regressions"] == len(changes) and alert["gains"] == 0
    assert sorted(alert["change_ids"]) == sorted(c["id"] for c in changes)
    assert alert["commit_range"]["from"] == "0019abcdef"
    assert alert["commit_range"]["to"] == "0020abcdef"
    assert alert["commit_range"]["compare_url"].endswith("/compare/0019abcdef...0020abcdef")
    summary = alert["summary"]
    assert "5 series regressed" in summary
    assert "MI355X" in summary and "FP8" in summary
    assert alert["deliveries"] == [{"channel": "log", "status": "pending", "sent_at": None}]
    detail = client.get(f"/api/v1/alerts/{alert['id']}").json()
    assert {c["alert_id"] for c in detail["changes"]} == {alert["id"]}
    assert detail["history"][0]["who"] == "tracker"


def test_two_commits_a_week_apart_are_two_alerts(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="vllm", configs=MI355X_FP8[:2], nights=30, steps={12: 0.88})
    post_history(
        client, auth, engine="vllm", configs=MI355X_FP8[2:4], nights=30, steps={19: 0.9}, seed=11
    )
    group(session_factory)
    found = sorted(alerts(client), key=lambda a: a["commit_range"]["to"])
    assert [a["commit_range"]["to"] for a in found] == ["0012abcdef", "0019abcdef"]


def test_nightly_ranges_that_only_touch_do_not_merge(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="trt", configs=MI355X_FP8[:1], nights=28, steps={20: 0.88})
    post_history(
        client, auth, engine="trt", configs=MI355X_FP8[1:2], nights=28, steps={21: 0.88}, seed=9
    )
    group(session_factory)
    ranges = sorted((a["commit_range"]["from"], a["commit_range"]["to"]) for a in alerts(client))
    assert ranges == [("0019abcdef", "0020abcdef"), ("0020abcdef", "0021abcdef")]


def test_tracks_of_one_commit_located_nights_apart_are_one_alert(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    # One commit on night 20: a quiet config locates it on that night; a noisy one (3 % noise,
    # an 8 % step) on night 21, with an interval of runs that still holds night 20.
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=30, steps={20: 0.9})
    post_history(
        client,
        auth,
        engine="sglang",
        configs=MI355X_FP8[1:2],
        nights=30,
        steps={20: 0.92},
        seed=35,
        noise=0.03,
    )
    changes = client.get("/api/v1/changes?metric=tput_per_gpu&interactivity=35").json()["items"]
    located = {c["series_id"]: c["run_timestamp"] for c in changes}
    assert len(set(located.values())) == 2, "the two configs locate the commit on two nights"
    group(session_factory)
    (alert,) = alerts(client)
    assert alert["commit_range"]["runs_after"] <= night_timestamp(19)
    assert alert["commit_range"]["runs_through"] >= night_timestamp(20)


def test_positive_length_intersection() -> None:
    night = [utc_now() + timedelta(days=n) for n in range(4)]
    assert overlaps(night[0], night[2], night[1], night[3])
    assert not overlaps(night[0], night[1], night[1], night[2])  # they only touch


def test_a_regression_and_its_fix_are_linked(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(
        client,
        auth,
        engine="atom",
        configs=MI355X_FP8[:3],
        nights=36,
        steps={12: 0.85, 24: 1 / 0.85},
    )
    group(session_factory)
    regression, fix = sorted(alerts(client), key=lambda a: a["commit_range"]["to"])
    assert (regression["state"], fix["state"]) == ("untriaged", "improvement")
    assert fix["related_alert_ids"] == [regression["id"]]
    assert regression["related_alert_ids"] == [fix["id"]]


def test_a_late_change_joins_the_earliest_overlapping_alert(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=26, steps={20: 0.9})
    group(session_factory)
    (first,) = alerts(client)
    # A config whose nights arrive later (a slower CI lane), moved by the same commit.
    post_history(
        client, auth, engine="sglang", configs=MI355X_FP8[2:3], nights=26, steps={20: 0.9}, seed=21
    )
    group(session_factory)
    (alert,) = alerts(client)
    assert alert["id"] == first["id"]
    assert len(alert["change_ids"]) > len(first["change_ids"])


def test_a_regression_joining_an_improvement_makes_it_untriaged(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=26, steps={20: 1.1})
    group(session_factory)
    (first,) = alerts(client)
    assert first["state"] == "improvement"
    # The same commit cost another config: the gain was paid for, so people must look.
    post_history(
        client, auth, engine="sglang", configs=MI355X_FP8[2:3], nights=26, steps={20: 0.9}, seed=21
    )
    group(session_factory)
    (alert,) = alerts(client)
    assert alert["id"] == first["id"]
    assert alert["state"] == "untriaged"
    assert alert["regressions"] > 0 and alert["gains"] > 0
    history = client.get(f"/api/v1/alerts/{alert['id']}").json()["history"]
    assert history[-1]["state"] == "untriaged"
    assert history[-1]["who"] == "tracker"
    assert "regression joined" in history[-1]["note"]


def test_a_change_meeting_two_alerts_joins_the_one_holding_its_most_likely_run(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    """Two commits three nights apart are two alerts. A third config moved by the second commit
    but located with an uncertain range that also meets the first alert joins the second: the
    alert whose range holds its most likely run, not the earliest it meets."""
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=30, steps={20: 0.9})
    group(session_factory)
    post_history(
        client, auth, engine="sglang", configs=MI355X_FP8[1:2], nights=30, steps={23: 0.9}, seed=7
    )
    group(session_factory)
    first, second = sorted(alerts(client), key=lambda a: a["commit_range"]["to"])
    post_history(
        client, auth, engine="sglang", configs=MI355X_FP8[2:3], nights=30, steps={23: 0.9}, seed=11
    )
    with session_factory() as session:
        late = list(
            session.execute(
                select(models.ChangePoint).where(models.ChangePoint.alert_id.is_(None))
            ).scalars()
        )
        assert late
        for change in late:  # as a noisy track locates it: anywhere from night 19 on
            change.range_start_timestamp = datetime.fromisoformat(night_timestamp(18))
        session.commit()
        late_ids = {change.id for change in late}
    group(session_factory)

    joined = {a["id"]: set(a["change_ids"]) for a in alerts(client)}
    assert len(joined) == 2
    assert late_ids <= joined[second["id"]]
    assert not late_ids & joined[first["id"]]


@pytest.mark.parametrize(("suspected_night", "state"), [(20, "untriaged"), (12, "improvement")])
def test_gains_with_a_regression_of_their_configs_suspected_in_their_range_are_no_improvement(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    suspected_night: int,
    state: str,
) -> None:
    """A commit gains throughput; one of its configs has a regression suspected (not confirmed
    yet: a noisier latency track) on the same night: the gains may be a trade, so the alert is
    not an improvement. A regression suspected elsewhere in the history changes nothing."""
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=26, steps={20: 1.1})
    with session_factory() as session:
        track = session.execute(select(models.Track).order_by(models.Track.id).limit(1)).scalar()
        assert track is not None
        track.suspected = [suspected_regression(night=suspected_night)]
        session.commit()
    group(session_factory)

    (alert,) = alerts(client)
    assert alert["gains"] > 0 and alert["regressions"] == 0
    assert alert["state"] == state
    history = client.get(f"/api/v1/alerts/{alert['id']}").json()["history"]
    assert ("suspected" in history[0]["note"]) == (state == "untriaged")


def test_a_gain_joining_an_improvement_with_a_regression_of_its_config_suspected_triages_it(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=26, steps={20: 1.1})
    group(session_factory)
    (first,) = alerts(client)
    assert first["state"] == "improvement"
    # A slower lane's config gained on the same commit; its latency regression is suspected.
    post_history(
        client, auth, engine="sglang", configs=MI355X_FP8[2:3], nights=26, steps={20: 1.1}, seed=21
    )
    with session_factory() as session:
        config_id = session.execute(
            select(models.ChangePoint.config_id).where(models.ChangePoint.alert_id.is_(None))
        ).scalar()
        track = session.execute(
            select(models.Track).where(models.Track.config_id == config_id).limit(1)
        ).scalar_one()
        track.suspected = [suspected_regression(night=20)]
        session.commit()
    group(session_factory)

    (alert,) = alerts(client)
    assert alert["id"] == first["id"]
    assert alert["state"] == "untriaged"
    history = client.get(f"/api/v1/alerts/{alert['id']}").json()["history"]
    assert "suspected" in history[-1]["note"]


def test_the_settle_window_restarts_when_a_change_joins_up_to_three_windows(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    post_history(client, auth, engine="vllm", configs=MI355X_FP8[:2], nights=26, steps={20: 0.9})
    changes = list(db_session.execute(select(models.ChangePoint)).scalars())
    start = min(c.detected_at for c in changes)
    for change in changes:
        change.detected_at = start
    # One change of the group arrived late: the window restarts from it.
    changes[0].detected_at = start + timedelta(seconds=500)
    db_session.flush()

    def created_at(seconds: float) -> tuple[int, ...]:
        outcome = group_pending_changes(
            session=db_session,
            settle_seconds=600,
            routes=(),
            default_channel=None,
            public_url=None,
            now=start + timedelta(seconds=seconds),
        )
        return outcome.created

    assert created_at(700) == ()  # 600 s after the first, but only 200 s after the last
    assert created_at(1099) == ()
    assert len(created_at(1100)) == 1

    db_session.rollback()
    # Changes keep joining, each before the window closes: the cap of three windows decides.
    changes = list(db_session.execute(select(models.ChangePoint)).scalars())
    for index, change in enumerate(changes):
        change.detected_at = start + timedelta(seconds=(0, 590, 1180, 1770)[index % 4])
    db_session.flush()
    assert created_at(1799) == ()
    assert len(created_at(1800)) == 1


def test_triage_records_who_when_and_why(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    group(session_factory)
    (alert,) = alerts(client)
    triager = make_token(session_factory, TokenScope.TRIAGE, name="alice")
    url = f"/api/v1/alerts/{alert['id']}"

    assert client.patch(url, json={"state": "acknowledged"}).status_code == 401
    assert client.patch(url, json={"state": "acknowledged"}, headers=auth).status_code == 403
    headers = {"Authorization": f"Bearer {triager}"}
    assert client.patch(url, json={"state": "retracted"}, headers=headers).status_code == 422
    assert client.patch(url, json={"state": "sideways"}, headers=headers).status_code == 422

    answer = client.patch(
        url, json={"state": "investigating", "note": "bisecting"}, headers=headers
    )
    assert answer.status_code == 200
    detail = answer.json()
    assert detail["state"] == "investigating"
    last = detail["history"][-1]
    assert (last["state"], last["who"], last["note"]) == ("investigating", "alice", "bisecting")
    assert [a["id"] for a in alerts(client, "state=investigating")] == [alert["id"]]
    assert alerts(client, "state=untriaged") == []
    assert [a["id"] for a in alerts(client, "engine=sglang")] == [alert["id"]]
    assert (
        client.patch("/api/v1/alerts/999999", json={"state": "fixed"}, headers=headers).status_code
        == 404
    )


def test_invalid_alerts_suppress_their_changes_from_the_series(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    group(session_factory)
    (alert,) = alerts(client)
    assert client.get("/api/v1/series").json()["items"][0]["last_change"] is not None
    triager = make_token(session_factory, TokenScope.TRIAGE)
    client.patch(
        f"/api/v1/alerts/{alert['id']}",
        json={"state": "invalid", "note": "runner had a noisy neighbour"},
        headers={"Authorization": f"Bearer {triager}"},
    )
    assert client.get("/api/v1/series").json()["items"][0]["last_change"] is None
    group(session_factory)  # not re-alerted
    assert [a["id"] for a in alerts(client)] == [alert["id"]]


@pytest.mark.parametrize("all_retracted", [True, False])
def test_retracted_changes_retract_the_alert_only_when_all_are_gone(
    all_retracted: bool,
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
) -> None:
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=26, steps={20: 0.9})
    group(session_factory)
    changes = list(db_session.execute(select(models.ChangePoint)).scalars())
    for change in changes if all_retracted else changes[:1]:
        change.state = ChangeState.RETRACTED
        change.retracted_at = change.updated_at = utc_now()
    db_session.commit()
    group(session_factory)
    (alert,) = alerts(client)
    assert alert["state"] == ("retracted" if all_retracted else "untriaged")
    assert client.get(f"/api/v1/alerts/{alert['id']}").json()["history"][-1]["who"] == "tracker"
    assert night_timestamp(20) in {
        c["run_timestamp"] for c in client.get(f"/api/v1/alerts/{alert['id']}").json()["changes"]
    }
