"""Shared fixtures: real Postgres (migrated, never create_all), real Redis, the samples."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.support.data import INFERENCEX_SAMPLES
from tracker.api.app import create_app
from tracker.clock import utc_now
from tracker.db import migrations
from tracker.db.engine import create_db_engine, transaction
from tracker.pipeline.scheduler import InProcessScheduler
from tracker.settings import Settings
from tracker.tokens import create_token
from tracker.vocabulary import TokenScope

POSTGRES_ADMIN_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS", "redis://127.0.0.1:6379")


def _sqlalchemy_url(database: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + database


class ScratchDatabases:
    """Creates uniquely named Postgres databases and drops them afterwards."""

    def __init__(self) -> None:
        self._names: list[str] = []

    def create(self, *, migrated: bool = True) -> str:
        name = f"tracker_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self._names.append(name)
        url = _sqlalchemy_url(name)
        if migrated:
            migrations.upgrade(url)
        return url

    def existing(self, name: str) -> str:
        """An existing database (not dropped by ``drop_all``), migrated to head."""
        url = _sqlalchemy_url(name)
        migrations.upgrade(url)
        return url

    def drop_all(self) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            for name in self._names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def scratch_databases() -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def pg_url(scratch_databases: ScratchDatabases) -> str:
    """One migrated database for the transactional tests of this run."""
    return scratch_databases.create()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = create_db_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_connection(pg_engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    with pg_engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def session_factory(pg_connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints of the test's transaction."""
    return sessionmaker(
        bind=pg_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="postgresql+psycopg://unused/unused", broker_url=None)


@contextmanager
def api_client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API on the test's transaction, processing in-process (the embedded default's mode)."""
    app = create_app(
        settings,
        session_factory=session_factory,
        scheduler=InProcessScheduler(session_factory=session_factory, settings=settings),
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    with api_client(settings, session_factory) as test_client:
        yield test_client


def make_token(factory: sessionmaker[Session], scope: TokenScope, name: str | None = None) -> str:
    with transaction(factory) as session:
        return create_token(
            session=session,
            name=name or f"{scope.value}-{uuid.uuid4().hex[:6]}",
            scope=scope,
            now=utc_now(),
        )


@pytest.fixture
def submit_token(session_factory: sessionmaker[Session]) -> str:
    return make_token(session_factory, TokenScope.SUBMIT)


@pytest.fixture
def auth(submit_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {submit_token}"}


def sample_rows(*parts: str) -> list[dict[str, Any]]:
    """The JSON objects of the sample files under ``INFERENCEX_SAMPLES/<parts>`` (file or dir)."""
    path = INFERENCEX_SAMPLES.joinpath(*parts)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return [json.loads(file.read_text()) for file in files]
