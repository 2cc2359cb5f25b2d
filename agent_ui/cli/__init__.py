"""The `hotline` command line: one Typer app, one module per command family."""

from __future__ import annotations

import typer

from agent_ui.cli import (
    config_cmd,
    db_cmd,
    export_cmd,
    import_cmd,
    orders_cmd,
    report_cmd,
    server_cmd,
    simulate_cmd,
    user_cmd,
)

app = typer.Typer(
    help="Hotline: call-center CTI and customer service.",
    no_args_is_help=True,
    add_completion=False,
)
for module in (
    config_cmd,
    db_cmd,
    user_cmd,
    simulate_cmd,
    server_cmd,
    report_cmd,
    import_cmd,
    export_cmd,
    orders_cmd,
):
    module.register(app)


def main() -> None:
    """Entry point of the `hotline` console script."""
    app()
