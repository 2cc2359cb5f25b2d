"""Business hours: is the center open at a given instant? Pure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from config.center import WEEKDAYS, HoursDef, parse_span


def is_open(hours: HoursDef, timezone: str, at: float) -> bool:
    """True when `at` (epoch seconds) falls in an opening span, in the center's time zone."""
    if hours.is_always_open():
        return True
    local = datetime.fromtimestamp(at, tz=ZoneInfo(timezone))
    if local.date() in {date.fromisoformat(day) for day in hours.holidays}:
        return False
    if not hours.weekly:
        return True  # no weekly hours: open all day, every day but the holidays
    spans = hours.weekly.get(WEEKDAYS[local.weekday()], [])
    now = local.time().replace(tzinfo=None)
    for span in spans:
        start, end = parse_span(span)
        if start <= now <= end:
            return True
    return False
