"""Shared fixtures: real PostgreSQL and Redis servers for the session, migrated databases per test.

`migrated_db_url` runs each test that uses it twice, on SQLite and on PostgreSQL, each time on a
fresh database at the newest schema; the PostgreSQL run is marked `integration`. The server starts
only when a test needs it, and is stopped at the end of the session. So is `redis_server`, a
redis-server on a Unix socket; tests share it, so each keeps to its own key prefix.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
from hypothesis import settings
from pg import PostgresServer, PostgresUnavailable
from redis_server import RedisServer, RedisUnavailable
from sqlalchemy.orm import Session, sessionmaker

from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database

# Shared, noisy machines: a per-example time limit would fail tests for being slow, not wrong.
settings.register_profile("hotline", deadline=None)
settings.load_profile("hotline")

TEST_DATABASE = "hotline_test"
MIGRATED_TEMPLATE = "hotline_migrated"
_database_numbers = itertools.count(1)


class _Server(Protocol):
    def start(self) -> None: ...


ServerT = TypeVar("ServerT", bound=_Server)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on a Unix socket in a temp dir, for the whole session."""
    yield from _session_server("PostgreSQL", PostgresServer, PostgresUnavailable, "stop")


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of an empty database `hotline_test` on the session's PostgreSQL server."""
    return postgres_server.create_database(TEST_DATABASE)


@pytest.fixture(scope="session")
def _postgres_migrated_template(postgres_server: PostgresServer) -> str:
    """A database at the newest schema, copied for each test (faster than migrating each)."""
    upgrade_database(postgres_server.create_database(MIGRATED_TEMPLATE))
    return MIGRATED_TEMPLATE


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def migrated_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotline.db'}"
        upgrade_database(url)
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("_postgres_migrated_template")
    name = f"hotline_t{next(_database_numbers)}"
    url = server.create_database(name, template=template)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def db_sessions(migrated_db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on `migrated_db_url`; its engine is disposed after the test."""
    engine = create_db_engine(migrated_db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server on a Unix socket in a temp dir, for the whole session."""
    yield from _session_server("redis-server", RedisServer, RedisUnavailable, "close")


def _session_server(
    label: str, make: Callable[[], ServerT], unavailable: type[Exception], cleanup: str
) -> Iterator[ServerT]:
    """Start a real server for the session; fail (not skip) with the install hint if it can't."""
    try:
        server = make()
    except unavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.start()
    except unavailable as exc:
        getattr(server, cleanup)()
        pytest.fail(f"{label} would not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        getattr(server, cleanup)()


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A session factory on a fresh, migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """URL (`unix:///...`) of the session's redis-server; use a key prefix of your own."""
    return redis_server.url
