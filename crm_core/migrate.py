"""Schema migrations in code: bring a database up to the current schema and ask where it stands.

Alembic is configured here rather than in an alembic.ini, so the migrations ship inside the package
and work from any directory. `hotline db upgrade` calls `upgrade_database`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from crm_core.db import create_db_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for Hotline's migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision` (default: the newest) to the database at `url`."""
    with _connection(url) as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def downgrade_database(url: str, revision: str) -> None:
    """Revert migrations down to `revision` ("base" removes every table)."""
    with _connection(url) as connection:
        command.downgrade(alembic_config(connection), revision)
        connection.commit()


def current_revision(url: str) -> str | None:
    """The revision the database is at; None for an empty or not yet created database."""
    if _missing_sqlite_file(url):
        return None
    with _connection(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def known_revisions() -> set[str]:
    """Every revision the code knows (a database at another one was made by a newer Hotline)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return {script.revision for script in scripts.walk_revisions()}


@contextmanager
def _connection(url: str) -> Iterator[Connection]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _missing_sqlite_file(url: str) -> bool:
    """True for a SQLite file that does not exist yet (asking must not create it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return False
    return not Path(database).expanduser().exists()
