"""Working time for service-level clocks: continuous calendar time, or business hours.

A service-level target such as "resolve within 16 business hours" needs two operations that a
point query like `acd.hours.is_open` cannot give: how much working time lies between two
instants, and which instant lies a given amount of working time after another. Both are here.

Business hours reuse the center file's model (`config.center.HoursDef`: weekly opening spans per
weekday, holidays) and mean exactly what `acd.hours.is_open` means by them: no weekly hours and no
holidays is always open; holidays without weekly hours is open all day except on holidays; a span
'09:00-24:00' runs to midnight. Spans are wall-clock times in the calendar's time zone, so an 8-hour
day stays 8 hours across a daylight-saving change. An opening time that falls into a
daylight-saving gap (02:30 on the spring-forward night) counts from the same wall time on the far
side of the gap, at most an hour late; opening hours at that time of night are rare.

All instants are aware datetimes; durations are `timedelta`s, exact to the microsecond.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.center import WEEKDAYS, HoursDef, parse_span

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
_END_OF_DAY = time(23, 59, 59, 999999)  # how parse_span writes '24:00'


class WorkingTime(Protocol):
    """A way of counting time for a service-level clock."""

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero when end is not after start."""

    def advance(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of working time has passed since `start`."""


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None:
            raise ValueError(f"naive datetime {instant!r}: pass an aware datetime")


def _require_not_negative(amount: timedelta) -> None:
    if amount < ZERO:
        raise ValueError(f"negative working time {amount}")


@dataclass(frozen=True, slots=True)
class CalendarTime:
    """Every second counts: round the clock, every day."""

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Elapsed time in [start, end), zero when end is not after start."""
        _require_aware(start, end)
        return max(ZERO, end - start)

    def advance(self, start: datetime, amount: timedelta) -> datetime:
        """`start` plus `amount`."""
        _require_aware(start)
        _require_not_negative(amount)
        return (start + amount).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Interval:
    """A span of time [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        """How long the span lasts."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours in a time zone; only time while open counts."""

    hours: HoursDef
    timezone: str
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _holidays: frozenset[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        if self.hours.weekly and not any(self.hours.weekly.get(day) for day in WEEKDAYS):
            raise ValueError("business hours are never open: give at least one opening span")
        object.__setattr__(self, "_zone", zone)
        holidays = frozenset(date.fromisoformat(day) for day in self.hours.holidays)
        object.__setattr__(self, "_holidays", holidays)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end); zero when end is not after start."""
        _require_aware(start, end)
        total = ZERO
        for interval in self.open_intervals(start, end):
            total += interval.length
        return total

    def advance(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of open time has passed since `start`.

        With `amount` zero that is `start` itself, open or not.
        """
        _require_aware(start)
        _require_not_negative(amount)
        if amount == ZERO:
            return start.astimezone(UTC)
        left = amount
        for interval in self._intervals_from(start):
            if interval.length >= left:
                return interval.start + left
            left -= interval.length
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def is_open(self, at: datetime) -> bool:
        """True when `at` lies in an opening span (its opening instant counts, its closing not)."""
        _require_aware(at)
        return any(True for _ in self.open_intervals(at, at + timedelta(microseconds=1)))

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """The opening spans within [start, end), clipped to it, in order."""
        _require_aware(start, end)
        for interval in self._intervals_from(start):
            if interval.start >= end:
                return
            yield Interval(interval.start, min(interval.end, end.astimezone(UTC)))

    def _intervals_from(self, start: datetime) -> Iterator[Interval]:
        """Opening spans from `start` on, clipped to it, without end; merged where they touch."""
        cursor = start.astimezone(UTC)
        # A day's spans can reach before its local midnight's UTC instant only by DST quirks;
        # starting a day early costs little and misses nothing.
        day = cursor.astimezone(self._zone).date() - ONE_DAY
        closed_days = 0
        while True:
            found = False
            for interval in self._day_intervals(day):
                if interval.end <= cursor:
                    continue
                found = True
                yield Interval(max(interval.start, cursor), interval.end)
                cursor = interval.end
            closed_days = 0 if found else closed_days + 1
            # Weekly hours open at least one day a week; each holiday can close a week more.
            if closed_days > len(WEEKDAYS) * (len(self._holidays) + 1):
                raise AssertionError("business calendar never opens")  # pragma: no cover
            day += ONE_DAY

    def _day_intervals(self, day: date) -> list[Interval]:
        """The day's opening spans in UTC, sorted and merged."""
        if day in self._holidays:
            return []
        if not self.hours.weekly:
            return [Interval(self._utc(day, time(0)), self._utc(day + ONE_DAY, time(0)))]
        spans = []
        for text in self.hours.weekly.get(WEEKDAYS[day.weekday()], []):
            opens, closes = parse_span(text)
            end = self._utc(day + ONE_DAY, time(0)) if closes == _END_OF_DAY else None
            spans.append(Interval(self._utc(day, opens), end or self._utc(day, closes)))
        return _merge(spans)

    def _utc(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self._zone).astimezone(UTC)


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, overlapping or touching spans joined, empty ones dropped."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if interval.end <= interval.start:
            continue
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return merged


CONTINUOUS = CalendarTime()
