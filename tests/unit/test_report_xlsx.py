"""XLSX export, read back with openpyxl: sheets, headers, frozen header rows, autofilters, number
formats, native charts and values; a Detail that outgrows a sheet is split, and says so."""

from __future__ import annotations

from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart
from test_report_support import HOUR, T0, hand_log, small_center

from reporting.data import data_from_lists
from reporting.export_xlsx import write_xlsx
from reporting.report import Report, ReportSpec, build_report

pytestmark = pytest.mark.unit


def report(by: tuple[str, ...] = ("interval",)) -> Report:
    log = hand_log()
    spec = ReportSpec(start=T0, end=T0 + HOUR, by=by)
    return build_report(data_from_lists(log.records, log.events), small_center(), spec)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    result = write_xlsx(report(), path)
    assert result.sheets == ("Summary", "By queue", "By agent", "By interval", "Detail")
    return load_workbook(path)


def header(ws) -> list[str]:
    return [c.value for c in ws[1] if c.value is not None]


def test_sheets_in_order(book):
    assert book.sheetnames == ["Summary", "By queue", "By agent", "By interval", "Detail"]


def test_tables_have_frozen_bold_headers_and_autofilters(book):
    for name in ("By queue", "By agent", "By interval", "Detail"):
        ws = book[name]
        assert ws.freeze_panes == "A2", name
        assert ws["A1"].font.bold, name
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header(ws))).column_letter}{ws.max_row}"


def test_by_queue_headers_values_and_formats(book):
    ws = book["By queue"]
    names = header(ws)
    assert names[:4] == ["Queue", "Offered", "Answered", "Answered in time"]
    sales = {names[i]: cell for i, cell in enumerate(ws[2])}
    assert sales["Queue"].value == "sales"
    assert sales["Offered"].value == 5
    assert sales["Turned away (queue full or empty)"].value == 1
    assert sales["Service level"].value == pytest.approx(1 / 3, abs=1e-4)
    assert sales["Service level"].number_format == "0.0%"
    assert sales["ASA (s)"].value == 10
    assert sales["ASA (s)"].number_format == "#,##0.0"
    assert sales["Offered"].number_format == "#,##0"


def test_by_interval_has_local_times_and_two_native_charts(book):
    ws = book["By interval"]
    assert ws["A1"].value == "Interval start (Asia/Shanghai)"
    assert ws["A2"].value == datetime(2026, 1, 5, 9, 0)
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm"
    charts = ws._charts
    assert [type(c) for c in charts] == [BarChart, LineChart]
    titles = [c.title.tx.rich.p[0].r[0].t for c in charts]
    assert titles == ["Calls per interval", "Service level per interval"]
    assert len(charts[0].series) == 3  # offered, answered, abandoned


def test_by_agent_has_a_handle_time_chart(book):
    ws = book["By agent"]
    assert header(ws)[:3] == ["Agent", "Calls handled", "Talk (s)"]
    (chart,) = ws._charts
    assert isinstance(chart, BarChart)
    assert chart.title.tx.rich.p[0].r[0].t == "Average handle time per agent"


def test_summary_lists_the_figures_and_the_notes(book):
    ws = book["Summary"]
    rows = {
        row[0].value: row[1] for row in ws.iter_rows(min_row=2) if len(row) > 1 and row[0].value
    }
    assert rows["Offered"].value == 7
    assert rows["Service level"].value == pytest.approx(0.2)
    assert rows["Service level"].number_format == "0.0%"
    assert rows["From (Asia/Shanghai)"].value == datetime(2026, 1, 5, 9, 0)
    texts = [row[0].value for row in ws.iter_rows() if row[0].value]
    assert any("Hold time is not recorded yet" in t for t in texts)


def test_detail_has_one_row_per_finished_call(book):
    ws = book["Detail"]
    assert header(ws)[:3] == ["Call", "Arrived (Asia/Shanghai)", "Caller (ANI)"]
    assert ws.max_row == 1 + 8
    assert ws["C2"].value == "+8613800000000"  # a workbook cell is data, not a formula


def test_a_detail_larger_than_a_sheet_continues_on_more_sheets_and_says_so(tmp_path):
    path = tmp_path / "split.xlsx"
    result = write_xlsx(report(), path, rows_per_sheet=3)
    book = load_workbook(path)
    assert book.sheetnames[-3:] == ["Detail", "Detail (2)", "Detail (3)"]
    assert [book[n].max_row for n in book.sheetnames[-3:]] == [4, 4, 3]
    assert "continues on Detail (2), Detail (3)" in " ".join(result.notes)
    second = book["Detail (2)"]
    assert second.cell(1, second.max_column).value == "Calls 4-6 of 8 (see the Summary's notes)"


def test_a_detail_limit_lists_the_first_calls_and_says_so(tmp_path):
    path = tmp_path / "limited.xlsx"
    result = write_xlsx(report(), path, detail_limit=2)
    assert result.detail_rows == 2
    assert load_workbook(path)["Detail"].max_row == 3
    assert any("first 2 of 8 calls" in note for note in result.notes)


def test_another_grouping_gets_its_own_sheet(tmp_path):
    path = tmp_path / "grouped.xlsx"
    write_xlsx(report(by=("queue", "interval")), path)
    book = load_workbook(path)
    assert "By queue, interval" in book.sheetnames
    assert header(book["By queue, interval"])[:3] == [
        "Interval start (Asia/Shanghai)",
        "Interval end (Asia/Shanghai)",
        "Queue",
    ]


def test_bad_limits_are_refused(tmp_path):
    with pytest.raises(ValueError, match="rows_per_sheet"):
        write_xlsx(report(), tmp_path / "x.xlsx", rows_per_sheet=0)
