"""XLSX export of a report (openpyxl, write-only mode so big reports stream to disk).

Sheets: Summary (the center's figures and notes), By queue, By agent, By interval (each with a
frozen header row, an autofilter and number formats), the main table when it is grouped some other
way ("By queue, interval", ...), and Detail (one row per call). Native Excel charts: calls per
interval and service level per interval on "By interval", average handle time per agent on
"By agent".

Times are written in the center's time zone (Excel has no time zones; the headers name the
zone). Detail lists the first `detail_limit` calls (default `DEFAULT_DETAIL_LIMIT`; None for all);
one larger than Excel's row limit continues on "Detail (2)", "Detail (3)", ... Either way the
Summary says so, and so does a note beside the header of each Detail sheet.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reporting.columns import Kind, kind_of, label, local_times
from reporting.report import Report
from reporting.summary_rows import summary_rows

EXCEL_MAX_ROWS = 1_048_576
# Detail lists at most this many calls unless asked for more: a workbook of a million rows takes a
# minute to write and is hard to use; the CSV export (`--detail`) lists every call, quickly.
DEFAULT_DETAIL_LIMIT = 100_000
DETAIL_COLUMNS = (
    "call_id",
    "arrived_at",
    "ani",
    "dnis",
    "campaign",
    "queue",
    "agent_id",
    "outcome",
    "ended_by",
    "wait_s",
    "talk_s",
    "hold_s",
    "wrap_s",
)
FORMATS = {
    Kind.COUNT: "#,##0",
    Kind.SECONDS: "#,##0.0",
    Kind.RATE: "0.0%",
    Kind.TIME: "yyyy-mm-dd hh:mm",
}
DETAIL_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
SECONDS_DECIMALS = 3
BOLD = Font(bold=True)
WIDTH_MIN, WIDTH_MAX = 10, 40
CHART_WIDTH_CM, CHART_HEIGHT_CM = 24.0, 9.0
CHART_ROWS = 20  # rows a chart covers at its height: the next chart goes below


@dataclass(frozen=True, slots=True)
class XlsxResult:
    """What was written: the sheet names and the notes about Detail."""

    path: Path
    sheets: tuple[str, ...]
    detail_rows: int
    notes: tuple[str, ...]


def _cell(ws: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def excel_values(values: pd.Series, kind: Kind, tz: str) -> np.ndarray:
    """A column as the Python values openpyxl writes (None for missing, naive local times)."""
    if kind is Kind.TIME:
        numbers = values.to_numpy(dtype=np.float64)
        local = local_times(numbers, tz).tz_localize(None).to_pydatetime()
        out = np.asarray(local, dtype=object)
        out[np.isnan(numbers)] = None
        return out
    if kind in (Kind.SECONDS, Kind.RATE):
        numbers = values.to_numpy(dtype=np.float64)
        out = np.round(numbers, SECONDS_DECIMALS + 1).astype(object)
        out[np.isnan(numbers)] = None
        return np.asarray(out, dtype=object)
    if kind is Kind.COUNT:
        return np.asarray(values.to_numpy(dtype=np.int64).tolist(), dtype=object)
    return np.asarray(values.fillna("").astype(str).to_numpy(dtype=object))


def _scalar(value: Any, kind: Kind, tz: str) -> Any:
    """One value as openpyxl writes it (None for missing or NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if kind is Kind.TEXT:
        return str(value)
    return excel_values(pd.Series([value], dtype=object), kind, tz)[0]


def _header(name: str, kind: Kind, tz: str) -> str:
    return f"{label(name)} ({tz})" if kind is Kind.TIME else label(name)


def _prepare(ws: WriteOnlyWorksheet, table: pd.DataFrame, kinds: Sequence[Kind]) -> None:
    """Widths and the frozen header row: set before the first row is streamed out."""
    ws.freeze_panes = "A2"
    for index, (name, kind) in enumerate(zip(table.columns, kinds, strict=True), start=1):
        width = max(WIDTH_MIN, min(WIDTH_MAX, len(label(str(name))) + 2))
        if kind is Kind.TIME:
            width = max(width, len(FORMATS[Kind.TIME]) + 4)
        ws.column_dimensions[get_column_letter(index)].width = width


def write_table(
    wb: Workbook, title: str, table: pd.DataFrame, tz: str, note: str = ""
) -> WriteOnlyWorksheet:
    """A sheet with `table`: bold frozen header, autofilter, number formats per column kind."""
    ws = wb.create_sheet(title)
    kinds = [kind_of(str(name), table[name].dtype) for name in table.columns]
    _prepare(ws, table, kinds)
    header = [_cell(ws, _header(str(n), k, tz)) for n, k in zip(table.columns, kinds, strict=True)]
    for cell in header:
        cell.font = BOLD
    ws.append([*header, note] if note else header)
    columns = [excel_values(table[n], k, tz) for n, k in zip(table.columns, kinds, strict=True)]
    formats = [FORMATS.get(k) for k in kinds]
    for row in zip(*columns, strict=True):
        ws.append(
            [
                _cell(ws, v, f) if f and v is not None else v
                for v, f in zip(row, formats, strict=True)
            ]
        )
    last = get_column_letter(max(1, len(table.columns)))
    ws.auto_filter.ref = f"A1:{last}{len(table) + 1}"
    return ws


def _detail_rows(detail: pd.DataFrame, tz: str) -> Iterator[tuple[Any, ...]]:
    """Detail rows as plain values (no per-cell styles: a million rows must stream quickly)."""
    kinds = [kind_of(str(n), detail[n].dtype) for n in detail.columns]
    columns = [excel_values(detail[n], k, tz) for n, k in zip(detail.columns, kinds, strict=True)]
    yield from zip(*columns, strict=True)


def _charts_by_interval(ws: WriteOnlyWorksheet, table: pd.DataFrame, time_format: str) -> None:
    rows = len(table) + 1
    cats = Reference(ws, min_col=1, min_row=2, max_row=rows)
    anchor_col = get_column_letter(len(table.columns) + 2)
    calls = BarChart()
    calls.type, calls.grouping = "col", "clustered"
    calls.title, calls.y_axis.title = "Calls per interval", "Calls"
    for name in ("offered", "answered", "abandoned"):
        col = table.columns.get_loc(name) + 1
        calls.add_data(Reference(ws, min_col=col, min_row=1, max_row=rows), titles_from_data=True)
    calls.set_categories(cats)
    _style(calls, time_format)
    ws.add_chart(calls, f"{anchor_col}2")
    level = LineChart()
    level.title, level.y_axis.title = "Service level per interval", "Service level"
    col = table.columns.get_loc("service_level") + 1
    level.add_data(Reference(ws, min_col=col, min_row=1, max_row=rows), titles_from_data=True)
    level.set_categories(cats)
    level.y_axis.number_format, level.y_axis.scaling.min, level.y_axis.scaling.max = "0%", 0, 1
    _style(level, time_format)
    ws.add_chart(level, f"{anchor_col}{2 + CHART_ROWS}")


def _chart_by_agent(ws: WriteOnlyWorksheet, table: pd.DataFrame) -> None:
    rows = len(table) + 1
    chart = BarChart()
    chart.type = "col"
    chart.title, chart.y_axis.title = "Average handle time per agent", "Seconds"
    col = table.columns.get_loc("aht_s") + 1
    chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    _style(chart, None)
    ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}2")


def _style(chart: BarChart | LineChart, category_format: str | None) -> None:
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    # Newer Excel hides axes that do not say they are shown.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if category_format:
        chart.x_axis.number_format = category_format


def _summary_sheet(wb: Workbook, report: Report, notes: Sequence[str]) -> None:
    ws = wb.create_sheet("Summary")
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 28
    header = [_cell(ws, "Figure"), _cell(ws, "Value")]
    for cell in header:
        cell.font = BOLD
    ws.append(header)
    for text, value, kind in summary_rows(report):
        shown = _scalar(value, kind, report.timezone)
        ws.append([text, _cell(ws, shown, FORMATS.get(kind)) if shown is not None else None])
    ws.append([])
    ws.append([_cell(ws, "Notes")])
    for note in notes:
        ws.append([note])


def _split(total: int, per_sheet: int, limit: int | None) -> tuple[int, list[tuple[int, int]]]:
    shown = total if limit is None else min(total, limit)
    bounds = [(lo, min(shown, lo + per_sheet)) for lo in range(0, shown, per_sheet)]
    return shown, bounds or [(0, 0)]


def _detail_notes(total: int, shown: int, sheets: Sequence[str]) -> list[str]:
    notes = []
    if shown < total:
        notes.append(
            f"Detail lists the first {shown:,} of {total:,} calls; every call is in the CSV "
            "export with --detail (hotline report ... --detail --format csv), or raise "
            "--detail-limit."
        )
    if len(sheets) > 1:
        notes.append(
            f"Detail has {shown:,} calls, more than an Excel sheet holds: it continues on "
            f"{', '.join(sheets[1:])}."
        )
    return notes


def _grouped_title(report: Report) -> str | None:
    by = report.spec.by
    if by in (("queue",), ("agent",), ("interval",)):
        return None
    return "By " + ", ".join(by)


def write_xlsx(
    report: Report,
    path: Path,
    *,
    detail_limit: int | None = DEFAULT_DETAIL_LIMIT,
    rows_per_sheet: int = EXCEL_MAX_ROWS - 1,
) -> XlsxResult:
    """Write the report as an XLSX workbook at `path` (created or replaced)."""
    if rows_per_sheet < 1 or (detail_limit is not None and detail_limit < 0):
        raise ValueError("rows_per_sheet must be >= 1 and detail_limit >= 0")
    tz = report.timezone
    detail = report.detail[[c for c in DETAIL_COLUMNS if c in report.detail]]
    shown, bounds = _split(len(detail), rows_per_sheet, detail_limit)
    names = ["Detail" if i == 0 else f"Detail ({i + 1})" for i in range(len(bounds))]
    notes = [*report.notes, *_detail_notes(len(detail), shown, names)]
    wb = Workbook(write_only=True)
    _summary_sheet(wb, report, notes)
    write_table(wb, "By queue", report.by_queue, tz)
    _chart_by_agent(write_table(wb, "By agent", report.by_agent, tz), report.by_agent)
    by_interval = write_table(wb, "By interval", report.by_interval, tz)
    _charts_by_interval(by_interval, report.by_interval, _category_format(report))
    extra = _grouped_title(report)
    if extra:
        write_table(wb, extra[:31], report.grouped, tz)
    for name, (lo, hi) in zip(names, bounds, strict=True):
        _write_detail(wb, name, detail.iloc[lo:hi], tz, _detail_note(lo, hi, shown, len(detail)))
    wb.save(path)
    sheets = ["Summary", "By queue", "By agent", "By interval", *([extra[:31]] if extra else [])]
    return XlsxResult(path, (*sheets, *names), shown, tuple(notes))


def _category_format(report: Report) -> str:
    return "yyyy-mm-dd" if report.spec.interval.calendar_unit else FORMATS[Kind.TIME]


def _detail_note(lo: int, hi: int, shown: int, total: int) -> str:
    if shown == total and lo == 0 and hi == total:
        return ""
    return f"Calls {lo + 1:,}-{hi:,} of {total:,} (see the Summary's notes)"


def _write_detail(wb: Workbook, title: str, detail: pd.DataFrame, tz: str, note: str) -> None:
    ws = wb.create_sheet(title)
    kinds = [kind_of(str(n), detail[n].dtype) for n in detail.columns]
    _prepare(ws, detail, kinds)
    header = [_cell(ws, _header(str(n), k, tz)) for n, k in zip(detail.columns, kinds, strict=True)]
    for cell in header:
        cell.font = BOLD
    ws.append([*header, note] if note else header)
    for row in _detail_rows(detail, tz):
        ws.append(row)
    last = get_column_letter(len(detail.columns))
    ws.auto_filter.ref = f"A1:{last}{len(detail) + 1}"
