"""CSV export: UTF-8 with BOM, ISO-8601 local times with offset, durations in seconds, empty cells
for "no data", formula-like text neutralised, and quoting that survives a round trip."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_report_support import HOUR, T0, hand_log, small_center

from reporting.data import data_from_lists
from reporting.export_csv import csv_bytes, iso_times, neutralise, write_csv
from reporting.report import ReportSpec, build_report

pytestmark = pytest.mark.unit


def read_back(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_interval_table_has_iso_times_with_offset_and_blank_no_data():
    log = hand_log()
    spec = ReportSpec(start=T0, end=T0 + 2 * HOUR)
    report = build_report(data_from_lists(log.records, log.events), small_center(), spec)
    rows = read_back(csv_bytes(report.by_interval, report.timezone))
    header, first, last = rows[0], rows[1], rows[-1]
    assert header[:4] == ["interval_start", "interval_end", "offered", "answered"]
    assert first[:4] == ["2026-01-05T09:00:00.000+08:00", "2026-01-05T09:30:00.000+08:00", "5", "3"]
    assert first[header.index("asa_s")] == str(round((10 + 130 + 30) / 3, 3))
    assert first[header.index("service_level")] == "0.25"
    assert last[header.index("offered")] == "0"
    assert last[header.index("service_level")] == ""  # no data, not 0


def test_detail_neutralises_caller_ids_and_keeps_seconds():
    log = hand_log()
    spec = ReportSpec(start=T0, end=T0 + HOUR)
    report = build_report(data_from_lists(log.records, log.events), small_center(), spec)
    rows = read_back(csv_bytes(report.detail, report.timezone))
    header = rows[0]
    c4 = next(r for r in rows if r[0] == "c4")
    assert c4[header.index("ani")] == "'+8613800000000"
    assert c4[header.index("arrived_at")] == "2026-01-05T09:06:40.000+08:00"
    assert c4[header.index("talk_s")] == "300.0"
    assert c4[header.index("answered_at")] == "2026-01-05T09:08:50.000+08:00"


def test_offsets_follow_daylight_saving():
    times = pd.Series(
        [
            datetime.fromisoformat("2026-03-29T00:30:00+01:00").timestamp(),
            datetime.fromisoformat("2026-03-29T03:30:00+02:00").timestamp(),
            np.nan,
        ]
    )
    assert iso_times(times, "Europe/Paris").tolist() == [
        "2026-03-29T00:30:00.000+01:00",
        "2026-03-29T03:30:00.000+02:00",
        "",
    ]


def test_a_negative_offset_is_written_with_a_minus():
    moment = datetime.fromisoformat("2026-01-05T09:15:30.250-05:00").timestamp()
    assert iso_times(pd.Series([moment]), "America/New_York")[0] == "2026-01-05T09:15:30.250-05:00"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800000000", "'+8613800000000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("sales", "sales"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_like_text_is_neutralised(text, written):
    assert neutralise(text) == written


def test_neutralising_applies_to_every_text_cell_not_to_numbers():
    table = pd.DataFrame(
        {"queue": ["=cmd|' /C calc'!A0", "sales"], "offered": [-1, 2], "wait_s": [-1.5, 2.0]}
    )
    rows = read_back(csv_bytes(table, "UTC"))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-1", "-1.5"]
    assert rows[2] == ["sales", "2", "2.0"]


@given(st.lists(st.text(), min_size=1, max_size=8))
def test_any_text_survives_the_round_trip_apart_from_the_neutraliser(texts):
    table = pd.DataFrame({"agent_id": texts})
    rows = read_back(csv_bytes(table, "UTC"))
    # Line ends inside a cell must survive; a lone "\r" cell start is neutralised like a formula.
    assert [r[0] for r in rows[1:]] == [neutralise(t) for t in texts]


def test_write_csv_writes_a_file_with_the_bom(tmp_path):
    table = pd.DataFrame({"queue": ["support"], "asa_s": [math.nan]})
    path = tmp_path / "out.csv"
    write_csv(table, path, "UTC")
    assert path.read_bytes() == b"\xef\xbb\xbfqueue,asa_s\r\nsupport,\r\n"
