"""Report intervals in the center's time zone: 15/30/60 minutes, day, week (Monday first), month.

An interval is [edge, next edge), edges in epoch seconds, aligned to the local wall clock: a day
runs midnight to midnight (23 or 25 hours when daylight saving changes), sub-day intervals start at
local midnight and step through absolute time, so on a day that skips 02:00 the 01:30 interval is
followed by 03:00. Every figure picks its interval by one instant (see `reporting.report`); spans
of time (logged in, paused, busy) are split across the intervals they cover with `split_spans`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

MINUTE_S = 60
DAYS_PER_WEEK = 7
MONTHS_PER_YEAR = 12
_MINUTES = re.compile(r"^(\d+)\s*(m|min|h)$")
ALLOWED_MINUTES = (15, 30, 60)
CALENDAR_UNITS = ("day", "week", "month")
INTERVAL_CHOICES = ("15m", "30m", "60m", "1h", "day", "week", "month")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class IntervalSpec:
    """An interval length: a number of minutes, or a calendar unit (day, week, month)."""

    name: str
    minutes: int | None = None

    @property
    def calendar_unit(self) -> str | None:
        """'day', 'week' or 'month'; None for minute intervals."""
        return None if self.minutes is not None else self.name


def parse_interval(text: str) -> IntervalSpec:
    """'15m', '30m', '60m' (or '1h'), 'day', 'week', 'month'; ValueError naming the choices."""
    cleaned = text.strip().lower()
    if cleaned in CALENDAR_UNITS:
        return IntervalSpec(cleaned)
    match = _MINUTES.match(cleaned)
    if match:
        minutes = int(match.group(1)) * (60 if match.group(2) == "h" else 1)
        if minutes in ALLOWED_MINUTES:
            return IntervalSpec(f"{minutes}m", minutes)
    raise ValueError(f"interval {text!r} is not one of {', '.join(INTERVAL_CHOICES)}")


def _period_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next_period(day: date, unit: str) -> date:
    if unit == "week":
        return day + timedelta(days=DAYS_PER_WEEK)
    if unit == "month":
        year, month = divmod(day.month, MONTHS_PER_YEAR)
        return date(day.year + year, month + 1, 1)
    return day + timedelta(days=1)


def _midnight(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time(0), tzinfo=tz).timestamp()


def interval_edges(start: float, end: float, spec: IntervalSpec, tz: ZoneInfo) -> FloatArray:
    """Edges of the intervals covering [start, end): the first <= start, the last >= end."""
    if not end > start:
        raise ValueError(f"the report window must end after it starts ({start} .. {end})")
    unit = spec.calendar_unit or "day"
    day = _period_start(datetime.fromtimestamp(start, tz).date(), unit)
    edges: list[float] = []
    while True:
        opens = _midnight(day, tz)
        edges.append(opens)
        if opens >= end:
            break
        day = _next_period(day, unit)
        if spec.minutes is not None:
            step, closes = spec.minutes * MINUTE_S, _midnight(day, tz)
            edges.extend(float(t) for t in np.arange(opens + step, closes, step))
    return _trim(np.asarray(edges, dtype=np.float64), start, end)


def _trim(edges: FloatArray, start: float, end: float) -> FloatArray:
    """Drop edges wholly before `start` or after `end` (keeping one on each side)."""
    first = max(0, int(np.searchsorted(edges, start, side="right")) - 1)
    last = int(np.searchsorted(edges, end, side="left"))
    return edges[first : last + 1]


def bucket_index(times: FloatArray, edges: FloatArray) -> IntArray:
    """The interval of each time (index into edges); -1 before the first, or at/after the last
    edge, or for NaN."""
    index = np.searchsorted(edges, times, side="right").astype(np.int64) - 1
    outside = (index < 0) | (index >= len(edges) - 1) | np.isnan(times)
    index[outside] = -1
    return index


def split_spans(
    starts: FloatArray, ends: FloatArray, edges: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Each span [start, end) cut at the edges: (span row, interval index, seconds) triples.

    Parts outside the edges are dropped; empty and reversed spans give nothing.
    """
    lo, hi = edges[0], edges[-1]
    s = np.clip(starts, lo, hi)
    e = np.clip(ends, lo, hi)
    keep = np.flatnonzero(e > s)
    s, e = s[keep], e[keep]
    first = np.searchsorted(edges, s, side="right") - 1
    last = np.searchsorted(edges, e, side="left") - 1
    counts = (last - first + 1).astype(np.int64)
    rows = np.repeat(keep, counts)
    # The k-th piece of a span lies in interval first + k.
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    buckets = np.repeat(first, counts) + offsets
    piece_start = np.maximum(np.repeat(s, counts), edges[buckets])
    piece_end = np.minimum(np.repeat(e, counts), edges[buckets + 1])
    return rows.astype(np.int64), buckets.astype(np.int64), piece_end - piece_start


def edge_labels(edges: FloatArray, tz: ZoneInfo) -> list[datetime]:
    """The start of each interval as an aware datetime in the center's zone."""
    return [datetime.fromtimestamp(float(t), tz) for t in edges[:-1]]
