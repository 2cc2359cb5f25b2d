"""What `hotline import` and `hotline export` share: the database they work on and its users.

The database is the settings' (`--config FILE`, `HOTLINE_*`), as for every other command, unless
`--database-url` names one; either way its schema must be the one this code needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.cli.db_cmd import fail, open_database_url, schema_advice, shown_url
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import current_revision, head_revision

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database to use instead of the settings' (sqlite:///PATH, postgresql+psycopg://...).",
    ),
]


def checked_url(config: Path | None, database_url: str | None) -> str:
    """The database URL to use, after checking its schema; exits 1 naming the problem."""
    if database_url is None:
        return open_database_url(config)
    try:
        current = current_revision(database_url)
    except (SQLAlchemyError, ValueError) as exc:
        fail(f"cannot open the database {database_url}: {exc.__class__.__name__}: {exc}")
    if current != head_revision():
        fail(
            f"the database {shown_url(database_url)} is at schema {current or '(empty)'}, this "
            f"Hotline needs {head_revision()}: {schema_advice(current)}"
        )
    return database_url


@contextmanager
def database(config: Path | None, database_url: str | None) -> Iterator[sessionmaker[Session]]:
    """Sessions on the checked database; the engine is disposed afterwards."""
    engine = create_db_engine(checked_url(config, database_url))
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()
