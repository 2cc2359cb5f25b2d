"""Report windows from what a person types: dates or local date-times in the center's zone.

`--from 2026-01-05 --to 2026-01-11` covers both whole days (a date given as the end means "to the
end of that day"); `--from 2026-01-05T09:00 --to 2026-01-05T12:00` covers 09:00 up to, not
including, 12:00. A time with an explicit offset (`...T09:00+08:00`) is taken as written.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_WINDOW_DAYS = 3 * 366


class WindowError(ValueError):
    """The window cannot be used; the message says what to type instead."""


def _parse(text: str, name: str, tz: ZoneInfo, *, is_end: bool) -> float:
    cleaned = text.strip()
    try:
        if "T" not in cleaned and " " not in cleaned:
            day = date.fromisoformat(cleaned)
            day = day + timedelta(days=1) if is_end else day
            return datetime.combine(day, time(0), tzinfo=tz).timestamp()
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise WindowError(
            f"{name} {text!r} is not a date (2026-01-05) or a local time (2026-01-05T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def parse_window(start_text: str, end_text: str, tz: ZoneInfo) -> tuple[float, float]:
    """The window [start, end) in epoch seconds; WindowError for unusable input."""
    start = _parse(start_text, "--from", tz, is_end=False)
    end = _parse(end_text, "--to", tz, is_end=True)
    if end <= start:
        raise WindowError(f"--to ({end_text}) must be after --from ({start_text})")
    if end - start > MAX_WINDOW_DAYS * 86_400:
        raise WindowError(f"the window is longer than {MAX_WINDOW_DAYS} days: report in parts")
    return start, end


def day_window(day: date, tz: ZoneInfo) -> tuple[float, float]:
    """One calendar day in the zone, [midnight, next midnight) (23 or 25 h across DST)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.timestamp(), end.timestamp()


def local_day(epoch_s: float, tz: ZoneInfo) -> date:
    """The calendar day, in the zone, of an instant."""
    return datetime.fromtimestamp(epoch_s, tz).date()
