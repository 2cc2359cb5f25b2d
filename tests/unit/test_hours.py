"""Business hours: open or closed at span edges, in the center's time zone, on holidays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from acd.hours import is_open
from config.center import HoursDef

pytestmark = pytest.mark.unit

SHANGHAI = "Asia/Shanghai"  # UTC+8 all year
BERLIN = "Europe/Berlin"  # UTC+1 in winter, UTC+2 in summer


def at(local: str, timezone: str) -> float:
    """Epoch seconds of a local wall-clock time ('2025-01-06T09:00:00') in `timezone`."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(timezone)).timestamp()


# 2025-01-06 is a Monday.
OFFICE = HoursDef(weekly={"mon": ["09:00-18:00"], "tue": ["09:00-12:00", "13:00-18:00"]})


@pytest.mark.parametrize("timezone", ["UTC", SHANGHAI])
@pytest.mark.parametrize(
    "local", ["2025-01-06T00:00:00", "2025-01-08T03:33:00", "2025-01-12T23:59:59.999"]
)
def test_without_weekly_hours_or_holidays_the_center_is_always_open(
    timezone: str, local: str
) -> None:
    assert is_open(HoursDef(), timezone, at(local, timezone))


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2025-01-06T08:59:59", False),
        ("2025-01-06T09:00:00", True),
        ("2025-01-06T12:34:56", True),
        ("2025-01-06T17:59:59", True),
        ("2025-01-06T18:00:01", False),
        ("2025-01-06T23:00:00", False),
    ],
)
def test_open_from_the_start_of_a_span_to_its_end(local: str, expected: bool) -> None:
    assert is_open(OFFICE, SHANGHAI, at(local, SHANGHAI)) is expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2025-01-07T11:59:59", True),
        ("2025-01-07T12:00:01", False),
        ("2025-01-07T12:59:59", False),
        ("2025-01-07T13:00:00", True),
    ],
)
def test_closed_in_the_gap_between_two_spans(local: str, expected: bool) -> None:
    assert is_open(OFFICE, SHANGHAI, at(local, SHANGHAI)) is expected


@pytest.mark.parametrize("local", ["2025-01-08T10:00:00", "2025-01-11T10:00:00"])
def test_a_day_left_out_of_the_week_is_closed(local: str) -> None:
    assert not is_open(OFFICE, SHANGHAI, at(local, SHANGHAI))


def test_hours_are_read_in_the_center_time_zone_not_utc() -> None:
    # 02:00 UTC is 10:00 in Shanghai (open); 12:00 UTC is 20:00 in Shanghai (closed)
    morning_utc = at("2025-01-06T02:00:00", "UTC")
    noon_utc = at("2025-01-06T12:00:00", "UTC")
    assert is_open(OFFICE, SHANGHAI, morning_utc)
    assert not is_open(OFFICE, "UTC", morning_utc)
    assert not is_open(OFFICE, SHANGHAI, noon_utc)
    assert is_open(OFFICE, "UTC", noon_utc)


def test_the_weekday_is_the_local_one() -> None:
    mondays = HoursDef(weekly={"mon": ["00:00-24:00"]})
    sunday_23h_utc = at("2025-01-05T23:00:00", "UTC")  # already Monday 07:00 in Shanghai
    assert is_open(mondays, SHANGHAI, sunday_23h_utc)
    assert not is_open(mondays, "UTC", sunday_23h_utc)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2025-01-11T17:59:59", False),
        ("2025-01-11T18:00:00", True),
        ("2025-01-11T23:59:59", True),
        ("2025-01-11T23:59:59.999999", True),
        ("2025-01-12T00:00:00", False),  # Sunday is not listed
    ],
)
def test_a_span_ending_at_24_00_runs_to_the_end_of_the_day(local: str, expected: bool) -> None:
    evenings = HoursDef(weekly={"sat": ["18:00-24:00"]})
    assert is_open(evenings, SHANGHAI, at(local, SHANGHAI)) is expected


def test_a_whole_day_span_covers_midnight_at_both_ends() -> None:
    weekend = HoursDef(weekly={"sat": ["00:00-24:00"], "sun": ["00:00-24:00"]})
    for local in ("2025-01-11T00:00:00", "2025-01-11T23:59:59.5", "2025-01-12T00:00:00"):
        assert is_open(weekend, SHANGHAI, at(local, SHANGHAI)), local
    assert not is_open(weekend, SHANGHAI, at("2025-01-10T23:59:59", SHANGHAI))


ALL_WEEK = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2025-01-05T23:59:59", True),
        ("2025-01-06T00:00:00", False),
        ("2025-01-06T12:00:00", False),
        ("2025-01-06T23:59:59", False),
        ("2025-01-07T00:00:00", True),
    ],
)
def test_a_holiday_is_closed_all_day_in_local_time(local: str, expected: bool) -> None:
    hours = HoursDef(weekly=ALL_WEEK, holidays=["2025-01-06"])
    assert is_open(hours, SHANGHAI, at(local, SHANGHAI)) is expected


def test_a_holiday_starts_at_local_midnight_not_utc_midnight() -> None:
    hours = HoursDef(weekly=ALL_WEEK, holidays=["2025-01-06"])
    # 2025-01-05 16:00 UTC is already 2025-01-06 00:00 in Shanghai
    assert not is_open(hours, SHANGHAI, at("2025-01-05T16:00:00", "UTC"))
    assert is_open(hours, "UTC", at("2025-01-05T16:00:00", "UTC"))


@pytest.mark.parametrize("date", ["2025-01-06", "2025-07-07"])  # winter and summer Mondays
def test_opening_follows_local_time_across_daylight_saving(date: str) -> None:
    hours = HoursDef(weekly={"mon": ["09:00-18:00"]})
    assert not is_open(hours, BERLIN, at(f"{date}T08:59:59", BERLIN))
    assert is_open(hours, BERLIN, at(f"{date}T09:00:00", BERLIN))


def test_holidays_without_weekly_hours_close_only_the_holidays() -> None:
    hours = HoursDef(holidays=["2025-01-06"])
    assert not is_open(hours, SHANGHAI, at("2025-01-06T12:00:00", SHANGHAI))
    assert is_open(hours, SHANGHAI, at("2025-01-07T12:00:00", SHANGHAI))
