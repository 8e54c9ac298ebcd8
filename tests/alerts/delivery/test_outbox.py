"""Alerts delivered to Slack through the real slack-sdk and a local Web API stand-in."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.delivery.outbox import LEASE_SECONDS, build_notifier, run_deliveries
from alerts.jobs import run_alert_deliveries, run_alert_grouping
from tests.conftest import ScratchDatabases, make_token
from tests.support.alert_history import MI355X_FP8, post_history
from tests.support.services import wait_for
from tests.support.slack_stand_in import SlackStandIn
from tracker import jsonio, models
from tracker.clock import utc_now
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.pipeline.accept import accept_submission
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.settings import Settings
from tracker.vocabulary import ChangeState, DeliveryStatus, TokenScope

TOKEN = "xoxb-test-token"
DEFAULT_CHANNEL = "C0DEFAULT"
SGLANG_CHANNEL = "C0SGLANG"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=TOKEN) as stand_in:
        yield stand_in


def slack_settings(slack: SlackStandIn, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "database_url": "postgresql+psycopg://unused/unused",
        "alert_settle_seconds": 0,
        "slack_token": TOKEN,
        "slack_api_url": slack.base_url,
        "slack_channel": DEFAULT_CHANNEL,
        "slack_routes": [{"match": {"framework": "sglang"}, "channel": SGLANG_CHANNEL}],
        "public_url": "https://tracker.example",
        **overrides,
    }
    return Settings(**fields)


def group_and_deliver(factory: sessionmaker[Session], settings: Settings) -> None:
    run_alert_grouping(session_factory=factory, settings=settings)
    run_alert_deliveries(session_factory=factory, settings=settings)


def test_each_alert_gets_one_parent_per_routed_channel_with_details_and_chart(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:3], nights=26, steps={20: 0.9})
    post_history(client, auth, engine="vllm", configs=MI355X_FP8[:1], nights=26, steps={12: 1.15})
    group_and_deliver(session_factory, settings)
    group_and_deliver(session_factory, settings)  # a second pass sends nothing more

    alerts = {a["engine"]: a for a in client.get("/api/v1/alerts").json()["items"]}
    (sglang_parent,) = slack.parents(SGLANG_CHANNEL)
    (vllm_parent,) = slack.parents(DEFAULT_CHANNEL)
    assert sglang_parent.metadata == {
        "event_type": "tracker_alert",
        "event_payload": {"alert_id": alerts["sglang"]["id"]},
    }
    assert vllm_parent.metadata["event_payload"]["alert_id"] == alerts["vllm"]["id"]
    assert "Regression in sglang 0019abc…0020abc" in sglang_parent.text
    assert "3 series regressed" in sglang_parent.text
    assert f"https://tracker.example/alerts/{alerts['sglang']['id']}" in sglang_parent.text
    assert "Improvement in vllm" in vllm_parent.text
    thread = slack.replies(SGLANG_CHANNEL, sglang_parent.ts)
    assert any("Details of alert" in reply.text for reply in thread)
    assert any(reply.files for reply in thread), "the chart is uploaded into the thread"
    detail = client.get(f"/api/v1/alerts/{alerts['sglang']['id']}").json()
    assert [(d["channel"], d["status"]) for d in detail["deliveries"]] == [(SGLANG_CHANNEL, "sent")]


def test_late_changes_go_in_the_thread_and_edit_the_parent(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:2], nights=26, steps={20: 0.9})
    group_and_deliver(session_factory, settings)
    (parent,) = slack.parents(SGLANG_CHANNEL)
    replies_before = len(slack.replies(SGLANG_CHANNEL, parent.ts))

    post_history(
        client, auth, engine="sglang", configs=MI355X_FP8[2:3], nights=26, steps={20: 0.9}, seed=17
    )
    group_and_deliver(session_factory, settings)

    (parent,) = slack.parents(SGLANG_CHANNEL)  # never a second parent
    assert parent.edits >= 1
    assert "3 series regressed" in parent.text
    late = slack.replies(SGLANG_CHANNEL, parent.ts)[replies_before:]
    assert late and any("joined" in reply.text.lower() for reply in late)


def test_triage_and_retraction_edit_the_parent(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    group_and_deliver(session_factory, settings)
    (alert,) = client.get("/api/v1/alerts").json()["items"]
    triager = make_token(session_factory, TokenScope.TRIAGE, name="bob")
    client.patch(
        f"/api/v1/alerts/{alert['id']}",
        json={"state": "acknowledged"},
        headers={"Authorization": f"Bearer {triager}"},
    )
    run_alert_deliveries(session_factory=session_factory, settings=settings)
    (parent,) = slack.parents(SGLANG_CHANNEL)
    assert "acknowledged" in parent.text

    for change in db_session.execute(select(models.ChangePoint)).scalars():
        change.state = ChangeState.RETRACTED
        change.retracted_at = change.updated_at = utc_now()
    db_session.commit()
    group_and_deliver(session_factory, settings)
    (parent,) = slack.parents(SGLANG_CHANNEL)
    assert parent.text.startswith("↩️ Retracted")


def test_the_alert_summary_reads_as_its_parent_after_an_edit(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
    slack: SlackStandIn,
) -> None:
    """One source for an alert's figures: more nights re-estimate its changes' levels, and when
    the parent is next edited (here by triage) the list's summary says what the parent says."""
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    group_and_deliver(session_factory, settings)
    (alert,) = client.get("/api/v1/alerts").json()["items"]
    (parent,) = slack.parents(SGLANG_CHANNEL)
    assert alert["summary"].split(": ", 1)[1] in parent.text

    for change in db_session.execute(select(models.ChangePoint)).scalars():
        change.after = change.before * (1 + change.relative_change - 0.013)
        change.relative_change -= 0.013
    db_session.commit()
    triager = make_token(session_factory, TokenScope.TRIAGE, name="carol")
    client.patch(
        f"/api/v1/alerts/{alert['id']}",
        json={"state": "investigating"},
        headers={"Authorization": f"Bearer {triager}"},
    )
    run_alert_deliveries(session_factory=session_factory, settings=settings)

    (parent,) = slack.parents(SGLANG_CHANNEL)
    edited = client.get(f"/api/v1/alerts/{alert['id']}").json()["summary"]
    assert edited != alert["summary"], "the re-estimated figures"
    assert edited.split(": ", 1)[1] in parent.text


def test_an_alert_void_before_its_first_post_is_not_posted_until_it_comes_back(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    run_alert_grouping(session_factory=session_factory, settings=settings)
    changes = list(db_session.execute(select(models.ChangePoint)).scalars())
    for change in changes:  # later runs took every change back before Slack was reached
        change.state = ChangeState.RETRACTED
        change.retracted_at = change.updated_at = utc_now()
    db_session.commit()
    group_and_deliver(session_factory, settings)
    assert slack.parents(SGLANG_CHANNEL) == []
    (alert,) = client.get("/api/v1/alerts").json()["items"]
    assert alert["state"] == "retracted"
    assert [d["status"] for d in alert["deliveries"]] == ["pending"]

    for change in changes:  # ...and more runs confirmed them again
        change.state = ChangeState.CONFIRMED
        change.retracted_at = None
        change.updated_at = utc_now()
    db_session.commit()
    group_and_deliver(session_factory, settings)
    (parent,) = slack.parents(SGLANG_CHANNEL)
    assert parent.text.startswith("🔴 Regression in sglang")


def test_rate_limits_and_server_errors_end_in_exactly_one_parent(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    slack.plan("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=1)
    slack.plan("chat.postMessage", status=500, times=3)
    group_and_deliver(session_factory, settings)
    assert len(slack.parents(SGLANG_CHANNEL)) == 1
    assert len([c for c in slack.calls("chat.postMessage") if "thread_ts" not in c.params]) == 5


def test_a_permanent_error_marks_the_delivery_failed_with_the_reason(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    slack.plan("chat.postMessage", error="channel_not_found", times=1)
    group_and_deliver(session_factory, settings)
    (alert,) = client.get("/api/v1/alerts").json()["items"]
    detail = client.get(f"/api/v1/alerts/{alert['id']}").json()
    assert [d["status"] for d in detail["deliveries"]] == ["failed"]
    assert slack.parents(SGLANG_CHANNEL) == []


def test_a_lost_answer_is_resumed_not_resent(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    slack: SlackStandIn,
) -> None:
    settings = slack_settings(slack)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    slack.plan("chat.postMessage", drop_connection_after_recording=True, times=1)
    run_alert_grouping(session_factory=session_factory, settings=settings)
    notifier = build_notifier(settings)
    first = run_deliveries(
        session_factory=session_factory, notifier=notifier, public_url=None, now=utc_now
    )
    assert first.retrying == 1 and len(slack.parents(SGLANG_CHANNEL)) == 1
    later = run_deliveries(
        session_factory=session_factory,
        notifier=notifier,
        public_url=None,
        now=lambda: utc_now() + timedelta(hours=2),
    )
    assert later.sent == 1
    (parent,) = slack.parents(SGLANG_CHANNEL)
    assert parent.edits == 1  # found by its metadata and brought up to date


def test_without_a_token_the_same_words_go_to_the_log(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(database_url="postgresql+psycopg://unused/unused", alert_settle_seconds=0)
    post_history(client, auth, engine="sglang", configs=MI355X_FP8[:1], nights=26, steps={20: 0.9})
    with caplog.at_level(logging.INFO):
        group_and_deliver(session_factory, settings)
    assert "Regression in sglang 0019abc…0020abc" in caplog.text
    (alert,) = client.get("/api/v1/alerts").json()["items"]
    detail = client.get(f"/api/v1/alerts/{alert['id']}").json()
    assert [(d["channel"], d["status"]) for d in detail["deliveries"]] == [("log", "sent")]


DELIVER_ONCE = """
import sys
from alerts.jobs import run_alert_deliveries
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.settings import Settings
settings = Settings()
run_alert_deliveries(
    session_factory=make_sessionmaker(create_db_engine(settings.resolved_database_url)),
    settings=settings,
)
"""


@pytest.mark.slow
def test_a_worker_killed_between_sending_and_marking_sends_no_second_parent(
    scratch_databases: ScratchDatabases, slack: SlackStandIn
) -> None:
    url = scratch_databases.create()
    factory = make_sessionmaker(create_db_engine(url))
    settings = slack_settings(slack, database_url=url)
    # Processed in-process, with grouping left waiting: the alert is delivered by the worker.
    scheduler = InProcessScheduler(
        session_factory=factory, settings=settings.model_copy(update={"alert_settle_seconds": 3600})
    )
    from tests.support.builders import nightly_levels, synthetic_body  # noqa: PLC0415

    for night, level in enumerate(nightly_levels(26, steps={20: 0.9})):
        body = synthetic_body(engine="sglang", night=night, engine_version="0.5.4", level=level)
        with factory() as session:
            accept_submission(
                session=session, scheduler=scheduler, body=jsonio.dumps(body).encode()
            )
    run_alert_grouping(session_factory=factory, settings=settings)

    # Slack records the parent, then holds its answer: time to kill the worker mid-delivery.
    slack.plan("chat.postMessage", delay_after_recording_s=30, times=1)
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SLACK_TOKEN": TOKEN,
        "TRACKER_SLACK_API_URL": slack.base_url,
        "TRACKER_SLACK_CHANNEL": DEFAULT_CHANNEL,
        "TRACKER_SLACK_ROUTES": '[{"match": {"framework": "sglang"}, "channel": "C0SGLANG"}]',
    }
    worker = subprocess.Popen([sys.executable, "-c", DELIVER_ONCE], env=env)
    wait_for(lambda: len(slack.parents(SGLANG_CHANNEL)) == 1, 30, "the parent to reach Slack")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    with factory() as session:
        (delivery,) = session.execute(select(models.AlertDelivery)).scalars()
        assert delivery.status is DeliveryStatus.SENDING  # never marked

    outcome = run_deliveries(
        session_factory=factory,
        notifier=build_notifier(settings),
        public_url=None,
        now=lambda: utc_now() + timedelta(seconds=LEASE_SECONDS + 1),  # the lease ran out
    )
    assert outcome.sent == 1
    (parent,) = slack.parents(SGLANG_CHANNEL)
    with factory() as session:
        (delivery,) = session.execute(select(models.AlertDelivery)).scalars()
        assert (delivery.status, delivery.parent_ts) == (DeliveryStatus.SENT, parent.ts)
