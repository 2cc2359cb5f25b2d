"""Database engines and sessions: SQLite for the embedded default, PostgreSQL (psycopg 3) to scale.

Every part of Hotline that touches the database gets its engine from `create_db_engine`, so SQLite
is always configured the same way (foreign keys enforced, WAL journal so readers do not block the
record writer, a busy timeout instead of instant "database is locked" errors).

PostgreSQL connections are checked when taken from the pool without a round trip: an idle
connection the server has closed (a restart, `pg_terminate_backend`) has its socket readable
(the server's farewell, then end of file), so only then is it pinged, and replaced if dead. A
`SELECT 1` before every use (SQLAlchemy's `pool_pre_ping`) cost a third of a caller lookup.
"""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
_IN_MEMORY = ("", ":memory:")


def create_db_engine(url: str) -> Engine:
    """An engine for `url` (`sqlite:///PATH` or `postgresql+psycopg://...`), set up for Hotline."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
            raise ValueError(
                f"unsupported PostgreSQL driver {parsed.drivername!r}: "
                "use a URL starting with postgresql+psycopg://"
            )
        # A bare postgresql:// URL would pick psycopg2, which Hotline does not install.
        engine = create_engine(parsed.set(drivername="postgresql+psycopg"))
        event.listen(engine, "checkout", _replace_if_closed_by_server)
        return engine
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )


def _replace_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout: let the pool replace a connection the server has closed."""
    if not _alive(dbapi_connection):
        raise exc.DisconnectionError("the database server closed this connection")


def _alive(connection: psycopg.Connection[Any]) -> bool:
    """False for a connection known closed; a ping only when something came in while idle."""
    if connection.closed:
        return False
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    if not readable:
        return True  # nothing from the server since last use: the usual case, no round trip
    try:
        connection.execute("SELECT 1")
        if not connection.autocommit:
            connection.rollback()  # hand the pool's user an idle connection, as it expects
    except psycopg.Error:
        return False
    return True


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory; objects stay readable after commit (services hand out copies anyway)."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in _IN_MEMORY or url.query.get("mode") == "memory"
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
    return engine


def _sqlite_pragmas(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    return on_connect
