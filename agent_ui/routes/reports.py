"""Reports over HTTP, for supervisors and admins: the CSV/XLSX export (the wallboard's download)
and the live "today so far" figures the wallboard shows.

    GET /api/reports/export?from=2026-01-05&to=2026-01-11&by=queue&interval=30m&format=xlsx
    GET /api/reports/live

`from`/`to` and the other parameters mean what they mean for `hotline report`; a parameter that
cannot be used is a 422 whose `detail` says why.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from agent_ui.deps import ContextDep, SupervisorUser
from reporting.data import load_data
from reporting.export_csv import csv_bytes
from reporting.export_xlsx import write_xlsx
from reporting.intervals import parse_interval
from reporting.live import today_so_far
from reporting.report import Report, ReportError, ReportSpec, build_report
from reporting.window import WindowError, parse_window

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# 422 by number: Starlette renamed its constant (UNPROCESSABLE_ENTITY -> _CONTENT) across versions.
UNPROCESSABLE = 422

router = APIRouter(prefix="/api/reports", tags=["reports"])


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(UNPROCESSABLE, detail=message)


def _spec(context: ContextDep, start: str, end: str, by: str, interval: str) -> ReportSpec:
    tz = ZoneInfo(context.center.center.timezone)
    try:
        window = parse_window(start, end, tz)
        return ReportSpec(
            start=window[0],
            end=window[1],
            interval=parse_interval(interval),
            by=tuple(part.strip().lower() for part in by.split(",") if part.strip()),
            as_of=context.clock.now(),
        )
    except (WindowError, ReportError, ValueError) as exc:
        raise _unprocessable(str(exc)) from exc


def _file_name(report: Report, suffix: str) -> str:
    tz = ZoneInfo(report.timezone)
    first = datetime.fromtimestamp(report.spec.start, tz).date()
    last = datetime.fromtimestamp(report.spec.end - 1, tz).date()
    return f"hotline-report-{first.isoformat()}_{last.isoformat()}.{suffix}"


@router.get("/export")
def export_report(
    _user: SupervisorUser,
    context: ContextDep,
    start: Annotated[str, Query(alias="from", description="First day or local time.")],
    end: Annotated[str, Query(alias="to", description="Last day (included) or local time.")],
    by: Annotated[str, Query(description="interval, queue, agent, dnis, campaign")] = "interval",
    interval: Annotated[str, Query(description="15m, 30m, 60m, day, week, month")] = "30m",
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
    detail: Annotated[bool, Query(description="CSV: one row per call")] = False,
) -> Response:
    """The report of a period as a CSV or XLSX download."""
    spec = _spec(context, start, end, by, interval)
    data = load_data(context.sessions, spec.start, spec.end)
    try:
        report = build_report(data, context.center, spec)
    except ReportError as exc:
        raise _unprocessable(str(exc)) from exc
    if fmt == "csv":
        table = report.detail if detail else report.grouped
        disposition = f'attachment; filename="{_file_name(report, "csv")}"'
        return Response(
            csv_bytes(table, report.timezone),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": disposition},
        )
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        write_xlsx(report, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        filename=_file_name(report, "xlsx"),
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/live")
def live_figures(_user: SupervisorUser, context: ContextDep) -> dict[str, Any]:
    """Today so far, center-wide and per queue (the wallboard's figures)."""
    return today_so_far(context.sessions, context.center, context.clock.now()).as_dict()
