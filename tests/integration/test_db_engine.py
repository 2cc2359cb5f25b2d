"""PostgreSQL connections from the pool on a real server: a connection the server closed is
replaced at checkout (nobody sees the error), a healthy one is reused without a ping, and a
connection in autocommit after a replacement still works (the caller lookup's way)."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import Engine, text

from crm_core.db import create_db_engine

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(postgres_url: str):
    engine = create_db_engine(postgres_url)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine, *, autocommit: bool = False) -> int:
    with engine.connect() as connection:
        if autocommit:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(postgres_url: str, pid: int) -> None:
    other = create_db_engine(postgres_url)
    try:
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()
    time.sleep(0.2)  # the server's farewell reaches the pooled connection's socket


def test_given_pooled_connection_closed_by_server_when_checked_out_then_replaced(
    engine, postgres_url
):
    first = backend_pid(engine)
    terminate(postgres_url, first)
    second = backend_pid(engine)  # no OperationalError: the pool swapped the dead connection
    assert second != first


def pings(monkeypatch) -> list[str]:
    """Statements run on the raw connection itself: only the pool's liveness ping does that
    (SQLAlchemy runs everything through cursors)."""
    seen: list[str] = []
    execute = psycopg.Connection.execute

    def spy(self, query, *args, **kwargs):
        seen.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", spy)
    return seen


def test_given_healthy_pooled_connection_when_checked_out_again_then_same_backend_no_ping(
    engine, monkeypatch
):
    first = backend_pid(engine)
    seen = pings(monkeypatch)
    assert backend_pid(engine) == first
    assert seen == []


def test_given_closed_connection_when_checked_out_then_pinged_once_then_replaced(
    engine, postgres_url, monkeypatch
):
    terminate(postgres_url, backend_pid(engine))
    seen = pings(monkeypatch)
    backend_pid(engine)
    assert seen == ["SELECT 1"]


def test_given_server_closed_connection_when_next_user_wants_autocommit_then_it_works(
    engine, postgres_url
):
    terminate(postgres_url, backend_pid(engine))
    assert backend_pid(engine, autocommit=True) > 0
    assert backend_pid(engine) > 0
