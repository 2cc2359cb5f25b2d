"""`hotline check-config FILE`: check a center file and list every problem in it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from config.center import Center
from config.center_file import CenterFileError, center_warnings, load_center

EXIT_INVALID = 2


def check_config(
    file: Annotated[
        Path,
        typer.Argument(help="The center file (TOML) to check.", metavar="FILE", show_default=False),
    ],
) -> None:
    """Check a center file: TOML syntax, every key, and every cross-reference.

    Errors and warnings go to stderr; exits 2 when the file cannot be used, 0 otherwise.
    """
    try:
        center = load_center(file)
    except CenterFileError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        typer.echo(f"{file.name}: {_count(len(exc.messages), 'error')}; not usable", err=True)
        raise typer.Exit(code=EXIT_INVALID) from None
    warnings = center_warnings(center, file.name)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    suffix = f", {_count(len(warnings), 'warning')}" if warnings else ""
    typer.echo(f"{file.name}: OK ({summary(center)}){suffix}")


def summary(center: Center) -> str:
    """'4 queues, 8 agents, 2 menus, 3 numbers'."""
    sizes = (
        (len(center.queues), "queue"),
        (len(center.agents), "agent"),
        (len(center.menus), "menu"),
        (len(center.numbers), "number"),
    )
    return ", ".join(_count(size, noun) for size, noun in sizes)


def _count(size: int, noun: str) -> str:
    return f"{size} {noun}" if size == 1 else f"{size} {noun}s"


def register(app: typer.Typer) -> None:
    """Add `check-config` to the app."""
    app.command("check-config")(check_config)
