"""The import's SQLite write lock (a batch takes it first, so a writer elsewhere waits instead of
making the batch fail half-way), and customer ids taken from PostgreSQL's sequence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pg import PostgresServer
from sqlalchemy.orm import Session, sessionmaker

from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.import_store import allocate_customer_ids, lock_for_writing
from crm_core.migrate import upgrade_database

pytestmark = pytest.mark.integration


def test_given_batch_holds_the_lock_when_another_connection_writes_then_it_must_wait(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "hotline.db", timeout=0.05)
    with sqlite_sessions() as session:
        lock_for_writing(session)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("INSERT INTO departments (name, created_at) VALUES ('x', '2024-01-01')")
        assert allocate_customer_ids(session, 3) == [1, 2, 3]
        session.rollback()
    other.execute("INSERT INTO departments (name, created_at) VALUES ('x', '2024-01-01')")
    other.commit()
    other.close()


def test_given_postgres_when_ids_allocated_then_taken_from_the_sequence(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database("hotline_import_ids")
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            first = allocate_customer_ids(session, 3)
            second = allocate_customer_ids(session, 2)
            assert allocate_customer_ids(session, 0) == []
    finally:
        engine.dispose()
        postgres_server.drop_database("hotline_import_ids")
    assert len(set(first + second)) == 5
    assert first == sorted(first)
