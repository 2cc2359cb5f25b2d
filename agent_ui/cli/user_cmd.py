"""`hotline user ...`: add user accounts and list them.

Passwords are typed twice at a hidden prompt, or generated (`--generate`): a generated password is
shown once and must be changed at the first login.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from acd.clock import RealClock
from agent_ui.cli.db_cmd import ConfigOption, fail, open_database_url
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.users import PasswordPolicyError, Role, UserExists, UserPublic, UserService

user_app = typer.Typer(help="User accounts: add and list them.", no_args_is_help=True)


@contextmanager
def _service(url: str) -> Iterator[UserService]:
    """The user service on the database at `url`, with the real clock (this is the edge)."""
    engine = create_db_engine(url)
    try:
        yield UserService(make_sessionmaker(engine), RealClock())
    finally:
        engine.dispose()


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name (stored lower-case).")],
    role: Annotated[
        Role, typer.Option("--role", help="What the user may do.", case_sensitive=False)
    ],
    display_name: Annotated[str, typer.Option(help="Name shown in the UI.")] = "",
    agent_id: Annotated[
        str | None, typer.Option(help="The agent's key in the center file (agents only).")
    ] = None,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a password; it must be changed at login.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add a user; asks for the password twice unless --generate is given."""
    with _service(open_database_url(config)) as service:
        if service.by_username(name) is not None:
            fail(f"user {name.strip().lower()!r} already exists")
        password = None if generate else _ask_password()
        user, generated = _create(service, name, role, password, display_name, agent_id)
    typer.echo(f"added {user.role.value} {user.username!r} (id {user.id})")
    if generated is not None:
        typer.echo(f"password (shown only now; to be changed at first login): {generated}")


def _create(
    service: UserService,
    name: str,
    role: Role,
    password: str | None,
    display_name: str,
    agent_id: str | None,
) -> tuple[UserPublic, str | None]:
    """Create the user, turning each refusal into a one-line error and exit status 1."""
    try:
        return service.create(
            name, role, password=password, display_name=display_name, agent_id=agent_id
        )
    except UserExists as exc:
        fail(str(exc))
    except PasswordPolicyError as exc:
        fail(f"{exc}; nothing was saved")
    except ValueError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot save the user: {exc.__class__.__name__}: {exc}")


@user_app.command("list")
def list_users(config: ConfigOption = None) -> None:
    """List every user with role, agent key and status."""
    with _service(open_database_url(config)) as service:
        users = service.list_users()
    if not users:
        typer.echo("no users yet: add one with `hotline user add NAME --role admin`")
        return
    rows = [("ID", "USERNAME", "ROLE", "AGENT", "STATUS", "NAME")]
    rows += [_row(user) for user in users]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[-1]]))


def _row(user: UserPublic) -> tuple[str, str, str, str, str, str]:
    status = "active" if user.active else "inactive"
    if user.active and user.must_change_password:
        status = "active, must change password"
    agent = user.agent_id or "-"
    return (str(user.id), user.username, user.role.value, agent, status, user.display_name)


def _ask_password() -> str:
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def register(app: typer.Typer) -> None:
    """Add `hotline user` to the app."""
    app.add_typer(user_app, name="user")
