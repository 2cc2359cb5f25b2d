"""Report intervals in the center's time zone: parsing, edges (DST days, weeks, months), which
interval an instant falls in, and spans cut at the edges."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.intervals import (
    IntervalSpec,
    bucket_index,
    edge_labels,
    interval_edges,
    parse_interval,
    split_spans,
)

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(tz: ZoneInfo, *parts: int) -> float:
    return datetime(*parts, tzinfo=tz).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "minutes", "name"),
    [("15m", 15, "15m"), ("30m", 30, "30m"), ("60m", 60, "60m"), ("1h", 60, "60m"),
     (" 30 min ", 30, "30m"), ("DAY", None, "day"), ("week", None, "week"),
     ("month", None, "month")],
)  # fmt: skip
def test_interval_names_are_parsed(text, minutes, name):
    assert parse_interval(text) == IntervalSpec(name, minutes)


@pytest.mark.parametrize("text", ["7m", "0m", "2h", "fortnight", "", "30"])
def test_unknown_intervals_are_refused_naming_the_choices(text):
    with pytest.raises(ValueError, match="15m, 30m, 60m"):
        parse_interval(text)


def test_half_hours_of_a_day_start_at_local_midnight():
    start = at(SHANGHAI, 2026, 1, 5)
    edges = interval_edges(start, start + 86400, parse_interval("30m"), SHANGHAI)
    assert len(edges) == 49
    assert edge_labels(edges, SHANGHAI)[19] == datetime(2026, 1, 5, 9, 30, tzinfo=SHANGHAI)


def test_a_window_not_on_an_edge_gets_the_enclosing_intervals():
    start = at(SHANGHAI, 2026, 1, 5, 9, 10)
    edges = interval_edges(start, start + 3300, parse_interval("30m"), SHANGHAI)  # to 10:05
    labels = [t.strftime("%H:%M") for t in edge_labels(edges, SHANGHAI)]
    assert labels == ["09:00", "09:30", "10:00"]


def test_the_day_clocks_go_forward_has_23_hours_and_no_0200():
    start = at(PARIS, 2026, 3, 29)
    edges = interval_edges(start, start + 23 * 3600, parse_interval("60m"), PARIS)
    labels = [t.strftime("%H") for t in edge_labels(edges, PARIS)]
    assert len(labels) == 23
    assert "02" not in labels
    days = interval_edges(start, start + 3600, parse_interval("day"), PARIS)
    assert days[1] - days[0] == 23 * 3600


def test_the_day_clocks_go_back_has_25_hours():
    start = at(PARIS, 2026, 10, 25)
    days = interval_edges(start, start + 3600, parse_interval("day"), PARIS)
    assert days[1] - days[0] == 25 * 3600
    hours = interval_edges(start, days[1], parse_interval("60m"), PARIS)
    assert len(hours) - 1 == 25


def test_weeks_start_on_monday_and_months_on_the_first():
    wednesday = at(SHANGHAI, 2026, 1, 7, 12)
    week = interval_edges(wednesday, wednesday + 3600, parse_interval("week"), SHANGHAI)
    assert edge_labels(week, SHANGHAI)[0] == datetime(2026, 1, 5, tzinfo=SHANGHAI)
    month = interval_edges(wednesday, at(SHANGHAI, 2026, 3, 2), parse_interval("month"), SHANGHAI)
    starts = [t.date().isoformat() for t in edge_labels(month, SHANGHAI)]
    assert starts == ["2026-01-01", "2026-02-01", "2026-03-01"]
    december = at(SHANGHAI, 2025, 12, 31)
    turn = interval_edges(december, december + 86400 * 2, parse_interval("month"), SHANGHAI)
    assert [t.month for t in edge_labels(turn, SHANGHAI)] == [12, 1]


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="must end after it starts"):
        interval_edges(10.0, 10.0, parse_interval("day"), SHANGHAI)


def test_bucket_index_puts_an_edge_in_the_interval_it_starts():
    edges = np.array([0.0, 10.0, 20.0])
    times = np.array([0.0, 9.999, 10.0, 19.0, 20.0, -1.0, np.nan])
    assert bucket_index(times, edges).tolist() == [0, 0, 1, 1, -1, -1, -1]


def test_spans_are_cut_at_edges_and_clipped_to_the_window():
    edges = np.array([0.0, 10.0, 20.0, 30.0])
    starts = np.array([5.0, -5.0, 12.0, 25.0, 8.0])
    ends = np.array([25.0, 3.0, 12.0, 40.0, 2.0])
    rows, buckets, seconds = split_spans(starts, ends, edges)
    pieces = list(zip(rows.tolist(), buckets.tolist(), seconds.tolist(), strict=True))
    assert pieces == [(0, 0, 5.0), (0, 1, 10.0), (0, 2, 5.0), (1, 0, 3.0), (3, 2, 5.0)]


@given(
    st.lists(
        st.tuples(st.floats(-50, 150, allow_nan=False), st.floats(0, 120, allow_nan=False)),
        max_size=20,
    )
)
def test_cut_spans_keep_the_time_inside_the_window(spans):
    edges = np.array([0.0, 7.5, 30.0, 31.0, 100.0])
    starts = np.array([s for s, _ in spans], dtype=np.float64)
    ends = starts + np.array([length for _, length in spans], dtype=np.float64)
    rows, _, seconds = split_spans(starts, ends, edges)
    for row, (start, length) in enumerate(spans):
        inside = max(0.0, min(start + length, 100.0) - max(start, 0.0))
        assert seconds[rows == row].sum() == pytest.approx(inside, abs=1e-9)
