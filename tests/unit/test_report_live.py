"""Live "today so far" figures for the wallboard, and report windows typed by people."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from test_report_support import HOUR, T0, TZ, hand_log, small_center

from reporting.data import data_from_lists
from reporting.scheduled import daily_report_path, previous_day
from reporting.window import WindowError, day_window, parse_window

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo(TZ)


def live_at(offset_s: float) -> dict:
    from reporting.live import live_figures

    log = hand_log()
    now = T0 + offset_s
    events = [e for e in log.events if e.at <= now]
    records = [r for r in log.records if (r.wrap_up_ended_at or r.ended_at or now) <= now]
    return live_figures(data_from_lists(records, events), small_center(), now).as_dict()


def test_today_so_far_counts_from_midnight_to_now_and_is_json_ready():
    figures = live_at(HOUR)
    json.dumps(figures)  # no NaN, no numpy types
    assert figures["date"] == "2026-01-05"
    assert figures["start"] == "2026-01-05T00:00:00+08:00"
    assert figures["as_of"] == "2026-01-05T10:00:00+08:00"
    center = figures["center"]
    assert (center["offered"], center["answered"], center["still_waiting"]) == (7, 3, 1)
    assert center["oldest_wait_s"] == pytest.approx(HOUR - 3502)
    queues = {q["queue"]: q for q in figures["queues"]}
    assert queues["support"]["still_waiting"] == 1
    assert queues["sales"]["oldest_wait_s"] is None
    assert queues["sales"]["blocked"] == 1


def test_a_call_being_answered_counts_as_answered_before_its_record_exists():
    figures = live_at(600)  # c4 answered at 530, still talking: no record yet
    assert figures["center"]["answered"] == 2
    assert figures["center"]["still_waiting"] == 0


def test_before_any_call_the_rates_are_none():
    figures = live_at(50)
    assert figures["center"]["offered"] == 0
    assert figures["center"]["service_level"] is None
    assert figures["center"]["oldest_wait_s"] is None


def test_dates_mean_whole_local_days_with_the_end_included():
    start, end = parse_window("2026-01-05", "2026-01-06", SHANGHAI)
    assert datetime.fromtimestamp(start, SHANGHAI).isoformat() == "2026-01-05T00:00:00+08:00"
    assert datetime.fromtimestamp(end, SHANGHAI).isoformat() == "2026-01-07T00:00:00+08:00"


def test_local_times_and_explicit_offsets():
    start, end = parse_window("2026-01-05T09:00", "2026-01-05T10:00+00:00", SHANGHAI)
    assert end - start == 9 * HOUR  # 10:00 UTC is 18:00 in Shanghai


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("yesterday", "2026-01-05", "--from 'yesterday' is not a date"),
        ("2026-01-05", "2026-13-01", "--to '2026-13-01' is not a date"),
        ("2026-01-06", "2026-01-05", "must be after --from"),
        ("2026-01-05T10:00", "2026-01-05T10:00", "must be after --from"),
        ("2020-01-01", "2026-01-01", "longer than"),
    ],
)
def test_unusable_windows_are_refused_with_what_to_type(start, end, message):
    with pytest.raises(WindowError, match=message):
        parse_window(start, end, SHANGHAI)


def test_day_window_and_previous_day_across_dst():
    paris = ZoneInfo("Europe/Paris")
    start, end = day_window(date(2026, 3, 29), paris)
    assert end - start == 23 * HOUR
    noon = datetime(2026, 3, 30, 0, 30, tzinfo=paris).timestamp()
    assert previous_day(noon, paris) == date(2026, 3, 29)


def test_daily_report_file_name(tmp_path):
    assert daily_report_path(tmp_path, date(2026, 1, 5)).name == "hotline-report-2026-01-05.xlsx"


def test_the_chart_has_the_last_eight_clock_hours_with_zeros_and_adds_up_to_today():
    figures = live_at(HOUR * 1.5)  # 10:30 local, calls between 9:00 and 10:00
    hours = figures["hours"]
    assert [h["start"][11:16] for h in hours] == [f"{h:02d}:00" for h in range(3, 11)]
    by_hour = {h["start"][11:13]: h for h in hours}
    assert (by_hour["09"]["offered"], by_hour["09"]["answered"]) == (7, 3)
    assert by_hour["10"] == {**by_hour["10"], "offered": 0, "answered": 0, "abandoned": 0}
    for name in ("offered", "answered", "abandoned"):
        assert sum(h[name] for h in hours) == figures["center"][name]


def test_early_in_the_day_the_chart_starts_at_midnight():
    from reporting.live import live_figures

    now = T0 - 8 * HOUR + 1800  # 01:30 local: no calls yet today
    figures = live_figures(data_from_lists([], []), small_center(), now).as_dict()
    assert [h["start"][11:16] for h in figures["hours"]] == ["00:00", "01:00"]
    assert all(h["offered"] == 0 for h in figures["hours"])
