"""`hotline report`: call statistics of a period as CSV or XLSX, and the daily scheduled report.

    hotline report --from 2026-01-05 --to 2026-01-11 --by queue --interval 30m \\
        --format xlsx --out week.xlsx
    hotline report daily --out-dir /srv/reports          # yesterday's XLSX, for cron

The database and the center file come from the settings (`--config FILE`, `HOTLINE_*`). Bad
arguments exit with status 2 and say what to type instead; an unusable database exits with 1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer

from acd.clock import RealClock
from agent_ui.cli.db_cmd import ConfigOption, open_database_url
from config.center import Center
from config.center_file import CenterFileError, load_center
from config.settings import SettingsError, load_settings
from crm_core.db import create_db_engine, make_sessionmaker
from reporting.data import load_data
from reporting.export_csv import write_csv
from reporting.export_xlsx import DEFAULT_DETAIL_LIMIT, write_xlsx
from reporting.intervals import INTERVAL_CHOICES, parse_interval
from reporting.report import DIMENSIONS, ReportError, ReportSpec, build_report
from reporting.scheduled import previous_day, write_daily_report
from reporting.window import WindowError, parse_window

FORMATS = ("csv", "xlsx")
USAGE_ERROR = 2

report_app = typer.Typer(
    help="Call statistics: KPIs by interval, queue, agent or DNIS, as CSV or XLSX.",
    invoke_without_command=True,
)


def usage_error(message: str) -> NoReturn:
    """Print `error: message` on stderr and exit with status 2 (bad arguments)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USAGE_ERROR)


def load_report_center(config: Path | None) -> Center:
    """The center file named by the settings; exits 2 naming each problem."""
    try:
        return load_center(load_settings(config).center_path)
    except SettingsError as exc:
        usage_error(f"the settings cannot be used:\n{exc}")
    except CenterFileError as exc:
        usage_error("\n".join(exc.messages))


def split_by(values: list[str]) -> tuple[str, ...]:
    """`--by queue --by interval` or `--by queue,interval` as ('queue', 'interval')."""
    return tuple(part.strip().lower() for value in values for part in value.split(",") if part)


def output_format(fmt: str | None, out: Path) -> str:
    """The format asked for, else the one the file name ends with."""
    chosen = (fmt or out.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        usage_error(f"--format must be csv or xlsx (got {fmt or out.suffix or 'nothing'!r})")
    return chosen


def check_output(out: Path) -> None:
    """Refuse an output path whose folder does not exist, before any work is done."""
    if out.is_dir():
        usage_error(f"--out {out} is a folder: name the file to write")
    if not out.parent.is_dir():
        usage_error(f"--out {out}: the folder {out.parent} does not exist")


def report(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (2026-01-05) or local time.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last day, included (or a local end time).")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help=f"Group the main table by {', '.join(DIMENSIONS)} (comma or repeat)."),
    ] = None,
    interval: Annotated[str, typer.Option(help=f"One of {', '.join(INTERVAL_CHOICES)}.")] = "30m",
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx.")] = None,
    out: Annotated[Path | None, typer.Option(help="The file to write.")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Center-wide SL threshold, s (default: strictest queue).")
    ] = None,
    detail: Annotated[
        bool, typer.Option("--detail", help="CSV: one row per call instead of the table.")
    ] = False,
    detail_limit: Annotated[
        int,
        typer.Option(help="XLSX: list at most this many calls in Detail (CSV --detail: all)."),
    ] = DEFAULT_DETAIL_LIMIT,
    config: ConfigOption = None,
) -> None:
    """Write the call statistics of a period (times in the center's time zone)."""
    if ctx.invoked_subcommand is not None:
        return
    if from_ is None or to is None or out is None:
        usage_error("give --from, --to and --out (see hotline report --help)")
    chosen = output_format(fmt, out)
    check_output(out)
    if detail_limit < 0:
        usage_error("--detail-limit must be 0 or more")
    center = load_report_center(config)
    try:
        start, end = parse_window(from_, to, ZoneInfo(center.center.timezone))
        spec = ReportSpec(
            start=start,
            end=end,
            interval=parse_interval(interval),
            by=split_by(by or ["interval"]),
            threshold_s=threshold,
            as_of=RealClock().now(),
        )
    except (WindowError, ReportError, ValueError) as exc:
        usage_error(str(exc))
    _write(config, center, spec, chosen, out, detail, detail_limit)


def _write(
    config: Path | None,
    center: Center,
    spec: ReportSpec,
    chosen: str,
    out: Path,
    detail: bool,
    detail_limit: int,
) -> None:
    engine = create_db_engine(open_database_url(config))
    try:
        data = load_data(make_sessionmaker(engine), spec.start, spec.end)
    finally:
        engine.dispose()
    try:
        result = build_report(data, center, spec)
    except ReportError as exc:
        usage_error(str(exc))
    if chosen == "csv":
        write_csv(result.detail if detail else result.grouped, out, result.timezone)
        typer.echo(f"{out}: {len(result.detail):,} calls")
        return
    written = write_xlsx(result, out, detail_limit=detail_limit)
    typer.echo(f"{out}: {len(result.detail):,} calls, sheets {', '.join(written.sheets)}")
    for note in written.notes[len(result.notes) :]:
        typer.echo(f"note: {note}")


@report_app.command("daily")
def daily(
    out_dir: Annotated[Path, typer.Option(help="Folder for hotline-report-DATE.xlsx.")],
    day: Annotated[
        str | None, typer.Option("--date", help="The day (default: yesterday, local).")
    ] = None,
    interval: Annotated[str, typer.Option(help=f"One of {', '.join(INTERVAL_CHOICES)}.")] = "30m",
    config: ConfigOption = None,
) -> None:
    """Write one day's XLSX report into a folder (run it daily, e.g. from cron)."""
    if out_dir.exists() and not out_dir.is_dir():
        usage_error(f"--out-dir {out_dir} is a file, not a folder")
    center = load_report_center(config)
    tz = ZoneInfo(center.center.timezone)
    try:
        chosen = date.fromisoformat(day) if day else previous_day(RealClock().now(), tz)
        spec_interval = parse_interval(interval)
    except ValueError as exc:
        usage_error(f"--date must look like 2026-01-05; {exc}" if day else str(exc))
    engine = create_db_engine(open_database_url(config))
    try:
        path = write_daily_report(
            make_sessionmaker(engine), center, chosen, out_dir, interval=spec_interval
        )
    finally:
        engine.dispose()
    typer.echo(str(path))


report_app.callback(invoke_without_command=True)(report)


def register(app: typer.Typer) -> None:
    """Add `hotline report` (and `hotline report daily`)."""
    app.add_typer(report_app, name="report")
