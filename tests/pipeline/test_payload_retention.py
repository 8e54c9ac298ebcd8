"""Payload retention on real Postgres: the raw bodies of processed submissions older than
TRACKER_PAYLOAD_RETENTION_DAYS are deleted in batches by a periodic stage; what was read from them
stays, newer and unprocessed bodies stay, and 0 keeps everything."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.builders import synthetic_body
from tracker import models
from tracker.clock import utc_now
from tracker.pipeline.jobs import run_payload_retention
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.pipeline.stages import Stage, periodic_stages
from tracker.settings import Settings
from tracker.vocabulary import SubmissionStatus


def _post_nights(client: TestClient, auth: dict[str, str], nights: range) -> list[int]:
    ids = []
    for night in nights:
        response = client.post(
            "/api/v1/submissions", json=synthetic_body(engine="sglang", night=night), headers=auth
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    return ids


def _age(session: Session, submission_ids: list[int], days: float) -> None:
    session.execute(
        update(models.Submission)
        .where(models.Submission.id.in_(submission_ids))
        .values(received_at=utc_now() - timedelta(days=days))
    )
    session.commit()


def _payloads(session: Session) -> dict[int, bool]:
    """Submission id → whether its run's payload is kept."""
    rows = session.execute(
        select(models.Submission.id, models.SourceRun.payload.is_not(None)).join(
            models.SourceRun, models.SourceRun.id == models.Submission.source_run_id
        )
    ).all()
    return {submission_id: bool(kept) for submission_id, kept in rows}


def test_old_payloads_go_in_batches_and_what_was_read_stays(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
) -> None:
    old = _post_nights(client, auth, range(5))
    recent = _post_nights(client, auth, range(5, 7))
    _age(db_session, old, days=91)
    _age(db_session, recent, days=89)
    # An old submission still waiting to be processed keeps its body.
    waiting = old[-1]
    db_session.execute(
        update(models.Submission)
        .where(models.Submission.id == waiting)
        .values(status=SubmissionStatus.ACCEPTED)
    )
    db_session.commit()
    series_id = client.get("/api/v1/series").json()["items"][0]["id"]
    trend_before = client.get(f"/api/v1/series/{series_id}/trend?interactivity=35").json()

    deleted = run_payload_retention(
        session_factory=session_factory, retention_days=90, batch_size=3
    )

    assert deleted == 4  # in two batches of at most three
    db_session.expire_all()
    kept = _payloads(db_session)
    assert [kept[i] for i in old] == [False, False, False, False, True]
    assert all(kept[i] for i in recent)
    assert client.get(f"/api/v1/series/{series_id}/trend?interactivity=35").json() == trend_before
    assert client.get(f"/api/v1/submissions/{old[0]}").json()["results"] == 7
    # The same bytes again are still the same submission; nothing is left to delete.
    repeat = client.post(
        "/api/v1/submissions", json=synthetic_body(engine="sglang", night=0), headers=auth
    )
    assert (repeat.status_code, repeat.json()["id"]) == (200, old[0])
    assert run_payload_retention(session_factory=session_factory, retention_days=90) == 0


def test_zero_keeps_every_payload_and_is_not_scheduled(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
    settings: Settings,
) -> None:
    old = _post_nights(client, auth, range(2))
    _age(db_session, old, days=3650)
    assert run_payload_retention(session_factory=session_factory, retention_days=0) == 0
    assert run_payload_retention(session_factory=session_factory, retention_days=None) == 0
    db_session.expire_all()
    assert all(_payloads(db_session).values())
    assert Stage.DELETE_OLD_PAYLOADS in periodic_stages(settings)
    kept_forever = settings.model_copy(update={"payload_retention_days": 0})
    assert Stage.DELETE_OLD_PAYLOADS not in periodic_stages(kept_forever)


def test_the_stage_deletes_with_the_settings_retention(
    client: TestClient,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
    db_session: Session,
    settings: Settings,
) -> None:
    old = _post_nights(client, auth, range(2))
    _age(db_session, old, days=8)
    week = settings.model_copy(update={"payload_retention_days": 7})
    InProcessScheduler(session_factory=session_factory, settings=week).schedule(
        Stage.DELETE_OLD_PAYLOADS
    )
    db_session.expire_all()
    assert not any(_payloads(db_session).values())
