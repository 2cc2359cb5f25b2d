"""Scheduled reports: yesterday's XLSX written to a folder (run daily by cron or a systemd timer,
e.g. `hotline report daily --out-dir /srv/reports` at 00:30). Mailing it is not built yet.

The file is `hotline-report-YYYY-MM-DD.xlsx` (the local day); it is written to a temporary file in
the same folder and renamed into place, so a reader never sees half a workbook.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from config.center import Center
from reporting.data import load_data
from reporting.export_xlsx import write_xlsx
from reporting.intervals import IntervalSpec, parse_interval
from reporting.report import ReportSpec, build_report
from reporting.window import day_window, local_day

FILE_PREFIX = "hotline-report-"


def previous_day(now: float, tz: ZoneInfo) -> date:
    """The local calendar day before the one containing `now`."""
    return local_day(now, tz) - timedelta(days=1)


def daily_report_path(out_dir: Path, day: date) -> Path:
    """Where the report of `day` goes."""
    return out_dir / f"{FILE_PREFIX}{day.isoformat()}.xlsx"


def write_daily_report(
    sessions: sessionmaker[Session],
    center: Center,
    day: date,
    out_dir: Path,
    interval: IntervalSpec | None = None,
) -> Path:
    """Write the XLSX report of one local day into `out_dir` (created if missing); its path."""
    tz = ZoneInfo(center.center.timezone)
    start, end = day_window(day, tz)
    spec = ReportSpec(start=start, end=end, interval=interval or parse_interval("30m"))
    report = build_report(load_data(sessions, start, end), center, spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = daily_report_path(out_dir, day)
    handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=".", suffix=".xlsx.part")
    os.close(handle)
    try:
        write_xlsx(report, Path(temporary))
        Path(temporary).replace(target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target
