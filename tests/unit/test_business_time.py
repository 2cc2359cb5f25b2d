"""Working time for SLA clocks: business hours across nights, weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.hours import is_open
from config.center import HoursDef
from crm_core.business_time import CONTINUOUS, BusinessCalendar, Interval

pytestmark = pytest.mark.unit

SHANGHAI = "Asia/Shanghai"  # UTC+8 all year
BERLIN = "Europe/Berlin"  # DST: 2025-03-30 skips 02:00-03:00, 2025-10-26 repeats 02:00-03:00
OFFICE = HoursDef(
    weekly={day: ["09:00-12:00", "13:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=["2025-01-08"],
)
H = timedelta(hours=1)


def local(text: str, timezone: str = SHANGHAI) -> datetime:
    """An aware datetime from a local wall-clock time ('2025-01-06T09:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))


@pytest.fixture
def office() -> BusinessCalendar:
    return BusinessCalendar(OFFICE, SHANGHAI)


# --- calendar time ------------------------------------------------------------------------------


def test_calendar_time_counts_every_second_and_nothing_backwards() -> None:
    start = local("2025-01-06T09:00")
    assert CONTINUOUS.between(start, start + 5 * H) == 5 * H
    assert CONTINUOUS.between(start + H, start) == timedelta(0)
    assert CONTINUOUS.advance(start, 30 * H) == start + 30 * H


def test_given_a_naive_datetime_then_working_time_refuses_it(office: BusinessCalendar) -> None:
    naive = datetime(2025, 1, 6, 9)  # naive on purpose
    with pytest.raises(ValueError, match="naive"):
        CONTINUOUS.advance(naive, H)
    with pytest.raises(ValueError, match="naive"):
        office.between(naive, local("2025-01-07T09:00"))


def test_given_a_negative_amount_then_advance_refuses_it(office: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        office.advance(local("2025-01-06T09:00"), -H)
    with pytest.raises(ValueError, match="negative"):
        CONTINUOUS.advance(local("2025-01-06T09:00"), -H)


# --- business hours -----------------------------------------------------------------------------


def test_given_start_in_the_morning_when_advancing_then_the_lunch_break_is_skipped(
    office: BusinessCalendar,
) -> None:
    # 2025-01-06 is a Monday: 3 h before lunch, then 1 h after it.
    assert office.advance(local("2025-01-06T09:00"), 4 * H) == local("2025-01-06T14:00")


def test_given_start_at_night_when_advancing_then_the_clock_starts_at_opening(
    office: BusinessCalendar,
) -> None:
    assert office.advance(local("2025-01-06T22:00"), H) == local("2025-01-07T10:00")


def test_given_friday_afternoon_when_advancing_then_the_weekend_is_skipped(
    office: BusinessCalendar,
) -> None:
    assert office.advance(local("2025-01-10T17:00"), 2 * H) == local("2025-01-13T10:00")


def test_given_a_holiday_when_advancing_then_it_does_not_count(office: BusinessCalendar) -> None:
    # Tuesday 17:00 + 2 h: Wednesday 2025-01-08 is a holiday, so Thursday 10:00.
    assert office.advance(local("2025-01-07T17:00"), 2 * H) == local("2025-01-09T10:00")


def test_advancing_by_zero_gives_the_start_even_when_closed(office: BusinessCalendar) -> None:
    start = local("2025-01-11T03:00")  # Saturday night
    assert office.advance(start, timedelta(0)) == start


def test_advancing_by_exactly_the_open_time_left_ends_at_closing(
    office: BusinessCalendar,
) -> None:
    assert office.advance(local("2025-01-06T16:00"), 2 * H) == local("2025-01-06T18:00")


def test_open_time_between_counts_only_open_spans(office: BusinessCalendar) -> None:
    assert office.between(local("2025-01-06T08:00"), local("2025-01-07T10:30")) == 9.5 * H
    assert office.between(local("2025-01-11T00:00"), local("2025-01-13T00:00")) == timedelta(0)


def test_open_intervals_are_clipped_to_the_window(office: BusinessCalendar) -> None:
    spans = list(office.open_intervals(local("2025-01-06T10:00"), local("2025-01-06T14:00")))
    assert spans == [
        Interval(local("2025-01-06T10:00").astimezone(UTC), local("2025-01-06T12:00")),
        Interval(local("2025-01-06T13:00").astimezone(UTC), local("2025-01-06T14:00")),
    ]


def test_a_span_to_24_00_runs_to_midnight_and_joins_the_next_day() -> None:
    hours = HoursDef(weekly={"mon": ["20:00-24:00"], "tue": ["00:00-02:00"]})
    calendar = BusinessCalendar(hours, SHANGHAI)
    assert calendar.advance(local("2025-01-06T20:00"), 5 * H) == local("2025-01-07T01:00")


def test_overlapping_spans_are_counted_once() -> None:
    hours = HoursDef(weekly={"mon": ["09:00-12:00", "11:00-13:00"]})
    calendar = BusinessCalendar(hours, SHANGHAI)
    assert calendar.between(local("2025-01-06T00:00"), local("2025-01-07T00:00")) == 4 * H


def test_without_weekly_hours_only_holidays_are_closed() -> None:
    calendar = BusinessCalendar(HoursDef(holidays=["2025-01-07"]), SHANGHAI)
    assert calendar.advance(local("2025-01-06T23:00"), 2 * H) == local("2025-01-08T01:00")


def test_given_hours_open_on_no_day_then_the_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="never open"):
        BusinessCalendar(HoursDef(weekly={"mon": []}), SHANGHAI)


def test_given_an_unknown_time_zone_then_the_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar(OFFICE, "Mars/Olympus")


def test_an_office_day_is_eight_hours_on_both_dst_change_days() -> None:
    calendar = BusinessCalendar(OFFICE, BERLIN)
    for day in ("2025-03-31", "2025-10-27"):  # the Mondays after the changes
        start = local(f"{day}T00:00", BERLIN)
        assert calendar.between(start, start + timedelta(days=1)) == 8 * H


def test_a_24_hour_calendar_counts_real_time_across_dst() -> None:
    always = BusinessCalendar(HoursDef(weekly={d: ["00:00-24:00"] for d in OFFICE.weekly}), BERLIN)
    sunday_night = local("2025-03-30T00:00", BERLIN)  # Sunday: closed; the day has 23 hours
    assert always.between(sunday_night, local("2025-03-31T00:00", BERLIN)) == timedelta(0)
    monday = local("2025-10-27T00:00", BERLIN)
    assert always.between(monday, monday + timedelta(days=1)) == 24 * H


# --- properties ---------------------------------------------------------------------------------

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
spans = st.tuples(st.integers(5, 22), st.integers(1, 4)).map(
    lambda s: f"{s[0]:02d}:00-{min(s[0] + s[1], 24):02d}:00"
)
hours_defs = st.dictionaries(
    st.sampled_from(WEEKDAY_NAMES), st.lists(spans, min_size=1, max_size=3), min_size=1
).map(lambda weekly: HoursDef(weekly=weekly, holidays=["2025-03-31", "2025-12-25"]))
instants = st.integers(0, 365 * 24 * 3600).map(
    lambda s: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=s, microseconds=500_000)
)
amounts = st.integers(0, 60 * 3600).map(lambda s: timedelta(seconds=s))
zones = st.sampled_from([SHANGHAI, BERLIN, "UTC"])


@settings(max_examples=200, deadline=None)
@given(hours=hours_defs, zone=zones, start=instants, amount=amounts)
def test_advance_then_between_gives_back_the_amount(
    hours: HoursDef, zone: str, start: datetime, amount: timedelta
) -> None:
    calendar = BusinessCalendar(hours, zone)
    end = calendar.advance(start, amount)
    assert end >= start
    assert calendar.between(start, end) == amount


@settings(max_examples=200, deadline=None)
@given(hours=hours_defs, zone=zones, a=instants, b=instants, c=instants)
def test_open_time_adds_up_over_consecutive_windows(
    hours: HoursDef, zone: str, a: datetime, b: datetime, c: datetime
) -> None:
    first, middle, last = sorted((a, b, c))
    calendar = BusinessCalendar(hours, zone)
    total = calendar.between(first, last)
    assert total == calendar.between(first, middle) + calendar.between(middle, last)
    assert total <= last - first


@settings(max_examples=300, deadline=None)
@given(hours=hours_defs, zone=zones, at=instants)
def test_open_or_closed_agrees_with_the_queues_business_hours(
    hours: HoursDef, zone: str, at: datetime
) -> None:
    """The same opening hours mean the same thing to an SLA clock and to `acd.hours.is_open`."""
    assert BusinessCalendar(hours, zone).is_open(at) == is_open(hours, zone, at.timestamp())
