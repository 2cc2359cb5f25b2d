"""`hotline import customers FILE`: load customers from a CSV (UTF-8, UTF-8 BOM, GB18030) or XLSX.

    hotline import customers 客户.xlsx --owner li --dry-run
    hotline import customers list.csv --mapping columns.toml --rejects fix-these.csv

A progress bar goes to stderr (when it is a terminal); the JSON summary is the only thing printed
on stdout: `rows, imported, merged, flagged, rejected, rejects_file, ...`, the four counts adding up
to `rows`. Flagged and rejected rows are in the rejects file (default `FILE.rejects.csv`) with
their row number and reason. Exit status: 0 when the file was processed (even with rejects), 1
when it could not be (unreadable file, no name column, database unusable), 2 for bad arguments.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from acd.clock import RealClock
from agent_ui.cli.customer_cli import DatabaseUrlOption, database
from agent_ui.cli.db_cmd import ConfigOption, fail
from agent_ui.cli.report_cmd import usage_error
from config.center_file import CenterFileError, load_center
from config.settings import SettingsError, load_settings
from crm_core.customer_import import (
    DEFAULT_BATCH_SIZE,
    CustomerImporter,
    ImportOptions,
    ImportSummary,
    ProgressCallback,
    RejectsPathError,
    default_workers,
    load_owners,
)
from crm_core.import_headers import HeaderError, load_mapping
from crm_core.import_rows import OwnerDirectory
from crm_core.import_source import ImportSourceError

PROGRESS_STEPS = 1000
PARALLEL_FROM_BYTES = 1 << 20

import_app = typer.Typer(help="Import data from files: customers.", no_args_is_help=True)


def _region(config: Path | None, region: str | None) -> str:
    """The phone region: --region, else the center file's default region."""
    if region is not None:
        return region.upper()
    try:
        return load_center(load_settings(config).center_path).center.default_region
    except (SettingsError, CenterFileError) as exc:
        usage_error(f"cannot read the center's phone region ({exc}); give --region, e.g. CN")


def _auto_workers(file: Path) -> int:
    """Helper processes take a second to start: worth it for big files only."""
    return default_workers() if file.stat().st_size >= PARALLEL_FROM_BYTES else 0


def _owner_id(owners: OwnerDirectory, owner: str | None) -> int | None:
    if owner is None:
        return None
    found = owners.resolve(owner)
    if isinstance(found, str):
        usage_error(f"--owner: {found}")
    return found


@import_app.command("customers")
def customers(
    file: Annotated[
        Path,
        typer.Argument(help="The CSV or XLSX file; header in row 1.", exists=True, dir_okay=False),
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="TOML or JSON: column header -> field (or 'ignore').")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where flagged and rejected rows go (FILE.rejects.csv).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count everything, store nothing.")
    ] = False,
    owner: Annotated[
        str | None, typer.Option(help="Owner of new customers whose row names none (username).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX: the sheet (default: first).")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="CSV: the encoding, if not UTF-8 or GB18030.")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Phone region for numbers without +country (center's).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per transaction.")] = DEFAULT_BATCH_SIZE,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes checking rows (default: spare cores, for files over 1 MB)."),
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import customers; prints a JSON summary (rows, imported, merged, flagged, rejected)."""
    if batch_size < 1:
        usage_error("--batch-size must be at least 1")
    if workers is not None and workers < 0:
        usage_error("--workers must be 0 or more")
    try:
        columns = load_mapping(mapping) if mapping is not None else None
    except HeaderError as exc:
        usage_error(str(exc))
    phone_region = _region(config, region)
    clock = RealClock()
    with database(config, database_url) as sessions:
        owners = load_owners(sessions, clock)
        options = ImportOptions(
            default_region=phone_region,
            default_owner_id=_owner_id(owners, owner),
            dry_run=dry_run,
            rejects_path=rejects,
            mapping=columns,
            sheet=sheet,
            encoding=encoding,
            batch_size=batch_size,
            workers=workers if workers is not None else _auto_workers(file),
        )
        summary = _run(CustomerImporter(sessions, clock, owners), file, options, not no_progress)
    typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))


def _run(
    importer: CustomerImporter, file: Path, options: ImportOptions, show_progress: bool
) -> ImportSummary:
    console = Console(stderr=True)
    visible = show_progress and console.is_terminal and sys.stderr.isatty()
    with Progress(
        TextColumn("importing: {task.description} rows"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not visible,
    ) as progress:
        task = progress.add_task("0", total=PROGRESS_STEPS)

        def advance(rows: int, fraction: float | None) -> None:
            done = round((fraction or 0.0) * PROGRESS_STEPS)
            progress.update(task, completed=done, description=f"{rows:,}")

        callback: ProgressCallback = advance
        try:
            return importer.run(file, options, callback)
        except (ImportSourceError, HeaderError, RejectsPathError) as exc:
            fail(f"{exc}; nothing was imported")
        except OSError as exc:
            fail(f"cannot read or write a file: {exc}")
        except SQLAlchemyError as exc:
            fail(
                f"the import stopped on a database error: {exc.__class__.__name__}: {exc}; "
                "the batches before it were saved (the audit log has the counts)"
            )


def register(app: typer.Typer) -> None:
    """Add `hotline import` to the app."""
    app.add_typer(import_app, name="import")
