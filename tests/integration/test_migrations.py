"""Migrations on real databases: a fresh SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pg import PostgresServer
from sqlalchemy import inspect

from crm_core.db import create_db_engine
from crm_core.migrate import current_revision, downgrade_database, head_revision, upgrade_database
from crm_core.tables import metadata

pytestmark = pytest.mark.integration

_numbers = itertools.count(1)
TABLES = {"users", "call_records", "call_events"}
CRM_CORE_TABLES = {
    "departments",
    "department_members",
    "customers",
    "customer_tags",
    "customer_shares",
    "contacts",
    "customer_phones",
    "customer_emails",
    "timeline_entries",
    "audit_log",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (the SQLite file does not exist yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new' / 'hotline.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"hotline_mig{next(_numbers)}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


def _table_names(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _schema_differences(url: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_given_empty_database_when_upgraded_then_it_is_at_head_with_all_tables(
    empty_db_url: str,
) -> None:
    assert current_revision(empty_db_url) is None
    upgrade_database(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()
    assert _table_names(empty_db_url) >= TABLES | CRM_CORE_TABLES


def test_migrated_schema_matches_the_models(empty_db_url: str) -> None:
    upgrade_database(empty_db_url)
    assert _schema_differences(empty_db_url) == []


def test_schema_comparison_sees_a_missing_index(empty_db_url: str) -> None:
    """The comparison above can fail: drop one index and it is reported."""
    upgrade_database(empty_db_url)
    engine = create_db_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_call_events_kind")
    finally:
        engine.dispose()
    differences = _schema_differences(empty_db_url)
    assert [d[0] for d in differences] == ["add_index"]  # type: ignore[index]


def test_upgrading_twice_changes_nothing(empty_db_url: str) -> None:
    upgrade_database(empty_db_url)
    upgrade_database(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()


def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(
    empty_db_url: str,
) -> None:
    upgrade_database(empty_db_url)
    downgrade_database(empty_db_url, "base")
    assert current_revision(empty_db_url) is None
    assert not (_table_names(empty_db_url) & TABLES)
    upgrade_database(empty_db_url)
    assert _table_names(empty_db_url) >= TABLES


def test_downgrade_to_0001_removes_only_the_crm_core_tables(empty_db_url: str) -> None:
    upgrade_database(empty_db_url, "0002")
    assert _table_names(empty_db_url) >= TABLES | CRM_CORE_TABLES
    downgrade_database(empty_db_url, "0001")
    assert current_revision(empty_db_url) == "0001"
    assert not (_table_names(empty_db_url) & CRM_CORE_TABLES)
    assert _table_names(empty_db_url) >= TABLES


def test_asking_the_revision_of_a_missing_sqlite_file_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "hotline.db"
    assert current_revision(f"sqlite:///{path}") is None
    assert not path.parent.exists()


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) > 0
    finally:
        engine.dispose()
    assert (tmp_path / "deep" / "dir" / "x.db").exists()


def test_postgres_url_fixture_gives_a_working_empty_database(postgres_url: str) -> None:
    engine = create_db_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT current_database()").scalar() == (
                "hotline_test"
            )
    finally:
        engine.dispose()
