"""`hotline db ...`: create or upgrade the database schema, and say where it stands.

The database URL comes from the settings (`database_url`, else `<data_dir>/hotline.db`).
`open_database_url` is also used by the other commands that need the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from config.settings import SettingsError, load_settings
from crm_core.migrate import current_revision, head_revision, known_revisions, upgrade_database

db_app = typer.Typer(help="The database: create or upgrade its schema.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file (TOML); default: $HOTLINE_CONFIG, if set."),
]


def fail(message: str) -> NoReturn:
    """Print `error: message` on stderr and exit with status 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def shown_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def database_url(config_file: Path | None) -> str:
    """The database URL from the settings; exits with the settings' own message if unusable."""
    try:
        return load_settings(config_file).db_url
    except SettingsError as exc:
        fail(f"the settings cannot be used:\n{exc}")


def schema_advice(current: str | None) -> str:
    """What to do about a database at `current` when the code needs the head revision."""
    if current is not None and current not in known_revisions():
        return "it was made by a newer Hotline: upgrade Hotline, or point it at another database"
    return "run `hotline db upgrade` first"


def open_database_url(config_file: Path | None) -> str:
    """The database URL, after checking its schema is the one this code needs."""
    url = database_url(config_file)
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        fail(f"cannot open the database {shown_url(url)}: {exc.__class__.__name__}: {exc}")
    head = head_revision()
    if current != head:
        fail(
            f"the database {shown_url(url)} is at schema {current or '(empty)'}, "
            f"this Hotline needs {head}: {schema_advice(current)}"
        )
    return url


@db_app.command("upgrade")
def upgrade(config: ConfigOption = None) -> None:
    """Create the tables, or bring an existing database up to the newest schema."""
    url = database_url(config)
    try:
        before = current_revision(url)
        if before is not None and before not in known_revisions():
            fail(f"the database {shown_url(url)} is at schema {before}: {schema_advice(before)}")
        upgrade_database(url)
    except CommandError as exc:  # e.g. the database is newer than this code
        fail(f"cannot upgrade {shown_url(url)}: {exc}")
    except SQLAlchemyError as exc:
        fail(f"cannot upgrade {shown_url(url)}: {exc.__class__.__name__}: {exc}")
    after = head_revision()
    if before == after:
        typer.echo(f"{shown_url(url)}: already at schema {after}")
    else:
        typer.echo(f"{shown_url(url)}: upgraded from {before or '(empty)'} to schema {after}")


@db_app.command("status")
def status(config: ConfigOption = None) -> None:
    """Show the database's schema revision and the one this code needs."""
    url = database_url(config)
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        fail(f"cannot open the database {shown_url(url)}: {exc.__class__.__name__}: {exc}")
    head = head_revision()
    state = "up to date" if current == head else schema_advice(current)
    typer.echo(f"{shown_url(url)}: schema {current or '(empty)'}, code needs {head}: {state}")


def register(app: typer.Typer) -> None:
    """Add `hotline db` to the app."""
    app.add_typer(db_app, name="db")
