"""Alert kinds through the API on the test's transaction: the kind filter, triage of a stale
alert (`expected` retires its configs), step-alert upkeep leaving other kinds alone, digests,
and which tracks drift."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.digests import build_digest
from alerts.jobs import run_alert_grouping
from alerts.lifecycle import sync_alert_states
from alerts.messages.digest import digest_messages
from alerts.rank import check_rank_flips
from alerts.rank_standings import OPEN_DAYS
from alerts.stale import check_stale_configs
from tests.conftest import make_token
from tests.support.builders import FIRST_NIGHT, nightly_levels, synthetic_body
from tracker.clock import utc_now
from tracker.models import RankStanding
from tracker.settings import Settings
from tracker.vocabulary import TokenScope

KEPT = {"precision": "fp8", "tp": 8}
STOPPED = {"precision": "fp4", "tp": 8}


def night(number: int, *configs: dict[str, Any]) -> dict[str, Any]:
    body = synthetic_body(engine="sglang", night=number, **configs[0])
    for config in configs[1:]:
        body["results"] += synthetic_body(engine="sglang", night=number, **config)["results"]
    body["source"]["run_key"] = f"test:sglang:{number}:{len(configs)}"
    return body


def post(client: TestClient, auth: dict[str, str], body: dict[str, Any]) -> None:
    answer = client.post("/api/v1/submissions", json=body, headers=auth)
    assert answer.status_code == 202, answer.text


def check(session: Session) -> None:
    check_stale_configs(
        session=session,
        stale_after_runs=3,
        routes=(),
        default_channel=None,
        public_url=None,
        now=utc_now(),
    )


def test_an_unknown_kind_is_refused_naming_the_kinds(client: TestClient) -> None:
    answer = client.get("/api/v1/alerts?kind=flaky")
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["query", "kind"]
    for kind in ("step", "stale", "drift", "rank"):
        assert f"'{kind}'" in error["msg"]


def test_a_stale_alert_triaged_expected_retires_its_configs_for_good(
    client: TestClient,
    auth: dict[str, str],
    db_session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    for number in range(6):
        post(client, auth, night(number, KEPT, STOPPED))
    for number in range(6, 9):
        post(client, auth, night(number, KEPT))
    check(db_session)
    (alert,) = client.get("/api/v1/alerts?kind=stale").json()["items"]
    assert alert["kind"] == "stale" and alert["series"] == 1
    assert client.get("/api/v1/alerts?kind=step").json()["items"] == []
    assert [a["id"] for a in client.get("/api/v1/alerts").json()["items"]] == [alert["id"]]

    sync_alert_states(session=db_session, now=utc_now())  # step upkeep: no change points here
    assert client.get(f"/api/v1/alerts/{alert['id']}").json()["state"] == "untriaged"

    triage = {"Authorization": f"Bearer {make_token(session_factory, TokenScope.TRIAGE)}"}
    answer = client.patch(
        f"/api/v1/alerts/{alert['id']}",
        json={"state": "expected", "note": "fp4 recipe retired"},
        headers=triage,
    )
    assert answer.status_code == 200, answer.text
    refused = client.patch(
        f"/api/v1/alerts/{alert['id']}", json={"state": "resolved"}, headers=triage
    )
    assert refused.status_code == 422
    assert "set by the tracker" in refused.text

    # The config reports once more, then stops again: retired, it never alerts again.
    post(client, auth, night(9, KEPT, STOPPED))
    for number in range(10, 16):
        post(client, auth, night(number, KEPT))
    check(db_session)
    (only,) = client.get("/api/v1/alerts?kind=stale").json()["items"]
    assert only["id"] == alert["id"] and only["state"] == "expected"


def test_the_digest_lists_stale_alerts_of_the_period_in_their_own_words(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    for number in range(6):
        post(client, auth, night(number, KEPT, STOPPED))
    for number in range(6, 9):
        post(client, auth, night(number, KEPT))
    check(db_session)
    (alert,) = client.get("/api/v1/alerts?kind=stale").json()["items"]
    digest = build_digest(session=db_session, days=7, now=utc_now(), title="Week over week")
    text = "\n".join(message["text"] for message in digest_messages(digest))
    assert "Stale configs — 1 alert" in text
    assert f"#{alert['id']} {alert['summary']} (untriaged)" in text
    notices = client.get("/api/v1/digest?days=7").json()["notices"]
    assert notices == [
        {
            "alert_id": alert["id"],
            "kind": "stale",
            "engine": "sglang",
            "state": "untriaged",
            "summary": alert["summary"],
        }
    ]


def engine_night(engine: str, number: int, level: float, **config: Any) -> dict[str, Any]:
    return synthetic_body(engine=engine, night=number, level=level, **config)


def test_a_change_of_leader_that_holds_is_one_rank_alert_and_a_single_night_none(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    for number in range(14):
        # FP8: atom leads for ten nights, then sglang leads and holds.
        post(client, auth, engine_night("atom", number, 1.1, precision="fp8"))
        post(client, auth, engine_night("sglang", number, 1.0 if number < 10 else 1.2))
        # FP4: trt leads throughout but for one night.
        post(client, auth, engine_night("trt", number, 1.1, precision="fp4"))
        post(
            client, auth, engine_night("vllm", number, 1.2 if number == 8 else 1.0, precision="fp4")
        )
    check_rank_flips(
        session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
    )
    check_rank_flips(  # a second look alerts nothing again
        session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
    )
    (alert,) = client.get("/api/v1/alerts?kind=rank").json()["items"]
    assert alert["engine"] == "sglang"
    assert alert["summary"].startswith(
        "At 35 tok/s/user on MI355X, deepseek-r1-0528 FP8 1k/1k: sglang "
    )
    assert "now leads atom" in alert["summary"]
    assert "atom led for 10 days" in alert["summary"]
    flips = alert["details"]["flips"]
    assert {flip["new_leader"] for flip in flips} == {"sglang"}
    assert all(flip["new_value"] > flip["old_value"] for flip in flips)
    assert alert["details"]["day"] == "2026-06-11"  # night 10


def test_a_flip_confirmed_on_a_night_the_old_leader_missed_is_alerted_with_its_last_value(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    for number in range(14):
        if number != 12:  # atom misses the night sglang's third run in the lead confirms it
            post(client, auth, engine_night("atom", number, 1.1))
        post(client, auth, engine_night("sglang", number, 1.0 if number < 10 else 1.2))
        post(client, auth, engine_night("vllm", number, 0.8))
    check_rank_flips(
        session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
    )
    (alert,) = client.get("/api/v1/alerts?kind=rank").json()["items"]
    assert "sglang" in alert["summary"] and "now leads atom" in alert["summary"]
    flips = alert["details"]["flips"]
    assert {(flip["new_leader"], flip["old_leader"]) for flip in flips} == {("sglang", "atom")}
    assert all(flip["old_value"] < flip["new_value"] < 1.2 * flip["old_value"] for flip in flips)


def test_a_pair_a_percent_apart_never_flips_on_noise_and_a_held_overtake_alerts_once(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    nights, overtake = 60, 45
    # FP8: atom 1 % ahead of sglang, both with 2 % noise, for 60 nights: no lead to tell of.
    atom = nightly_levels(nights, noise=0.02, seed=11)
    sglang = [0.99 * level for level in nightly_levels(nights, noise=0.02, seed=12)]
    # FP4: trt 1 % ahead of vllm until vllm steps up to 8 % past it, and holds.
    trt = nightly_levels(nights, noise=0.02, seed=13)
    vllm = nightly_levels(nights, steps={overtake: 1.08 / 0.99}, noise=0.02, seed=14)
    for number in range(nights):
        post(client, auth, engine_night("atom", number, atom[number], precision="fp8"))
        post(client, auth, engine_night("sglang", number, sglang[number], precision="fp8"))
        post(client, auth, engine_night("trt", number, trt[number], precision="fp4"))
        post(client, auth, engine_night("vllm", number, 0.99 * vllm[number], precision="fp4"))
        check_rank_flips(  # each night, as beat runs it
            session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
        )
    (alert,) = client.get("/api/v1/alerts?kind=rank").json()["items"]
    assert alert["engine"] == "vllm" and "now leads trt" in alert["summary"]
    lead_began = date.fromisoformat(alert["details"]["day"]) - FIRST_NIGHT.date()
    assert abs(lead_began.days - overtake) <= 3


def test_checks_each_night_reading_only_the_new_values_tell_the_same_flip(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    for number in range(14):
        post(client, auth, engine_night("atom", number, 1.1))
        post(client, auth, engine_night("sglang", number, 1.0 if number < 10 else 1.2))
        check_rank_flips(
            session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
        )
    (alert,) = client.get("/api/v1/alerts?kind=rank").json()["items"]
    # How long atom led comes from the days earlier checks read, kept between checks.
    assert "sglang" in alert["summary"] and "atom led for 10 days" in alert["summary"]
    assert alert["details"]["day"] == "2026-06-11"


def test_a_competitor_alone_keeps_a_week_of_days_and_a_rival_joining_later_is_ranked(
    client: TestClient, auth: dict[str, str], db_session: Session
) -> None:
    """atom runs alone for 30 nights: nothing to rank, and its standings keep only the days a
    rival could still post for. sglang joins on night 30 behind it and overtakes on night 40:
    one rank alert, atom's lead counted from the first night they both ran."""

    def rank_check() -> None:
        check_rank_flips(
            session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
        )

    for number in range(30):
        post(client, auth, engine_night("atom", number, 1.1))
        rank_check()
    kept_days = {len(days) for days in db_session.execute(select(RankStanding.days)).scalars()}
    assert kept_days == {OPEN_DAYS + 1}
    for number in range(30, 46):
        post(client, auth, engine_night("atom", number, 1.1))
        post(client, auth, engine_night("sglang", number, 1.0 if number < 40 else 1.2))
        rank_check()
    (alert,) = client.get("/api/v1/alerts?kind=rank").json()["items"]
    assert "sglang" in alert["summary"] and "atom led for 10 days" in alert["summary"]


def test_a_step_of_an_engine_with_an_open_rank_alert_is_a_step_alert_of_its_own(
    client: TestClient,
    auth: dict[str, str],
    db_session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    for number in range(14):  # sglang overtakes atom on night 10: a rank alert of sglang
        post(client, auth, engine_night("atom", number, 1.1))
        post(client, auth, engine_night("sglang", number, 1.0 if number < 10 else 1.2))
    check_rank_flips(
        session=db_session, confirm_runs=3, routes=(), default_channel=None, now=utc_now()
    )
    (rank,) = client.get("/api/v1/alerts?kind=rank").json()["items"]
    for number in range(14, 26):  # then sglang regresses 10 % on night 20
        post(client, auth, engine_night("atom", number, 1.1))
        post(client, auth, engine_night("sglang", number, 1.2 if number < 20 else 1.08))
    run_alert_grouping(
        session_factory=session_factory,
        settings=Settings(
            database_url="postgresql+psycopg://unused/unused", alert_settle_seconds=0
        ),
    )

    steps = client.get("/api/v1/alerts?kind=step").json()["items"]
    (step,) = [alert for alert in steps if alert["regressions"]]  # the gain of night 10 apart
    assert step["engine"] == "sglang" and step["commit_range"]["to"] == "0020abcdef"
    rank_now = client.get(f"/api/v1/alerts/{rank['id']}").json()
    assert rank_now["summary"] == rank["summary"] and rank_now["changes"] == []


GROUPING = Settings(database_url="postgresql+psycopg://unused/unused", alert_settle_seconds=0)
SLIDE = {21: 0.98, 28: 0.98, 35: 0.98, 42: 0.98}  # four 2 % regressions a week apart


def drift_tracks_night_by_night(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    bodies: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Posts each night and groups alerts after it; every drift alert's tracks, night by night."""
    told: list[dict[str, Any]] = []
    for body in bodies:
        post(client, auth, body)
        run_alert_grouping(session_factory=session_factory, settings=GROUPING)
        for drift in client.get("/api/v1/alerts?kind=drift").json()["items"]:
            told += client.get(f"/api/v1/alerts/{drift['id']}").json()["details"]["tracks"]
    return told


def test_a_latency_that_creeps_up_is_no_drift(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    # p99 TTFT +12.7 % over 30 nights, never a step: drift is assessed on throughput only.
    creep = nightly_levels(50, steps=dict.fromkeys(range(15, 45), 1.004), noise=0.03, seed=11)
    bodies = [
        engine_night("sglang", number, 1.0, p99_ttft_level=level)
        for number, level in enumerate(creep)
    ]
    assert drift_tracks_night_by_night(client, auth, session_factory, bodies) == []


def test_a_slide_drifts_with_the_part_no_step_alert_tells(
    client: TestClient, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    slide = nightly_levels(50, steps=SLIDE, seed=11)
    bodies = [engine_night("sglang", number, level) for number, level in enumerate(slide)]
    told = drift_tracks_night_by_night(client, auth, session_factory, bodies)
    assert told and all(track["relative_change"] <= track["untold"] < 0 for track in told)
