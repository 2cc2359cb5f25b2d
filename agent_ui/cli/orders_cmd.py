"""`hotline orders import FILE`: load orders (date, amount, customer) from a CSV or XLSX file.

    hotline orders import 订单.xlsx
    hotline orders import orders.csv --dry-run --region CN

Columns are found by their headers (see `crm_core.order_rows`): the order date, the amount, the
customer by Hotline id or phone, and optionally the order number, which makes a second import of
the same file add nothing. The import runs as the system: every customer can be matched.

The JSON summary is the only thing printed on stdout: `imported`, `skipped` (row numbers already
imported), `rejected` (row numbers with reasons), `dry_run`. Exit status: 0 when the file was
processed (even with rejected rows), 1 when it could not be (unreadable file, no amount column,
database unusable), 2 for bad arguments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from acd.clock import RealClock
from agent_ui.cli.customer_cli import DatabaseUrlOption, database
from agent_ui.cli.db_cmd import ConfigOption, fail
from agent_ui.cli.report_cmd import usage_error
from config.center import CenterInfo
from config.center_file import CenterFileError, load_center
from config.settings import SettingsError, load_settings
from crm_core.import_source import ImportSourceError
from crm_core.order_rows import OrderFileError
from crm_core.orders import ImportReport, OrderService

orders_app = typer.Typer(help="Orders: import them from files.", no_args_is_help=True)


def _center_info(config: Path | None, region: str | None) -> CenterInfo:
    """The center's phone region and time zone; --region replaces the region."""
    try:
        info = load_center(load_settings(config).center_path).center
    except (SettingsError, CenterFileError) as exc:
        if region is None:
            usage_error(f"cannot read the center's phone region ({exc}); give --region, e.g. CN")
        info = CenterInfo()
    if region is None:
        return info
    if len(region) != 2 or not region.isalpha():
        usage_error(f"--region must be a two-letter country code such as CN (got {region!r})")
    return info.model_copy(update={"default_region": region.upper()})


def summary(report: ImportReport, *, dry_run: bool) -> dict[str, object]:
    """The JSON summary of an import."""
    return {
        "imported": report.created,
        "skipped": list(report.skipped),
        "rejected": [{"row": p.number, "reason": p.message} for p in report.problems],
        "dry_run": dry_run,
    }


@orders_app.command("import")
def import_orders(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030) or XLSX file.")],
    sheet: Annotated[str | None, typer.Option(help="XLSX: the sheet to read.")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV: the file's encoding.")] = None,
    region: Annotated[
        str | None, typer.Option(help="Phone region for numbers without a country code.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count every row, save nothing.")
    ] = False,
    config: ConfigOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Import the orders of FILE; prints a JSON summary."""
    info = _center_info(config, region)
    with database(config, database_url) as sessions:
        service = OrderService(sessions, RealClock(), info.default_region, info.timezone)
        try:
            report = service.import_file(
                None, file, sheet=sheet, encoding=encoding, dry_run=dry_run
            )
        except (ImportSourceError, OrderFileError) as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            fail(f"cannot save the orders: {exc.__class__.__name__}: {exc}")
    typer.echo(json.dumps(summary(report, dry_run=dry_run), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add `hotline orders import`."""
    app.add_typer(orders_app, name="orders")
