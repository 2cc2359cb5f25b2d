"""`hotline export customers`: the customers a user may see, as CSV (UTF-8 with BOM) or XLSX.

    hotline export customers --format xlsx --out customers.xlsx --as li

Without `--as` the export holds every customer (whoever runs the command can read the database
anyway); with `--as USER` it holds exactly what that user sees in Hotline. CSV cells that a
spreadsheet would run as formulas get a leading apostrophe (see `crm_core.customer_export`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from acd.clock import RealClock
from agent_ui.cli.customer_cli import DatabaseUrlOption, database
from agent_ui.cli.db_cmd import ConfigOption, fail
from agent_ui.cli.report_cmd import check_output, output_format, usage_error
from crm_core.customer_export import export_rows, write_csv, write_xlsx
from crm_core.users import UserService

export_app = typer.Typer(help="Export data to files: customers.", no_args_is_help=True)


@export_app.command("customers")
def customers(
    out: Annotated[Path, typer.Option(help="The file to write.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or xlsx (default: from --out).")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Export only what this user may see (username).")
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write the customers (of one user's view, with --as) to a CSV or XLSX file."""
    chosen = output_format(fmt, out)
    check_output(out)
    with database(config, database_url) as sessions:
        viewer = None
        if as_user is not None:
            viewer = UserService(sessions, RealClock()).by_username(as_user)
            if viewer is None:
                usage_error(f"--as: no user named {as_user!r}")
            if not viewer.active:
                usage_error(f"--as: user {as_user!r} is inactive")
        rows = export_rows(sessions, viewer)
        try:
            count = write_csv(rows, out) if chosen == "csv" else write_xlsx(rows, out)
        except OSError as exc:
            fail(f"cannot write {out}: {exc}")
    typer.echo(f"{out}: {count:,} customers")


def register(app: typer.Typer) -> None:
    """Add `hotline export` to the app."""
    app.add_typer(export_app, name="export")
