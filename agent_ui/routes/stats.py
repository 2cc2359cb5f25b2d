"""Today's headline figures for the whole center (offered, answered, abandoned, SL, ASA).

"Today" runs from midnight to midnight in the center's time zone, so a day with a daylight-saving
change is 23 or 25 hours long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from agent_ui.deps import ContextDep, SupervisorUser
from agent_ui.schemas import TodayStatsOut
from config.center import Center, QueueDef
from crm_core.record_store import load_events, load_records
from reporting.summary import summarize

router = APIRouter(prefix="/api/stats", tags=["stats"])


@dataclass(frozen=True, slots=True)
class DayWindow:
    """One calendar day in a time zone, as aware datetimes [start, end)."""

    start: datetime
    end: datetime


def day_window(now_epoch_s: float, tz: ZoneInfo) -> DayWindow:
    """The local calendar day containing `now_epoch_s`."""
    today = datetime.fromtimestamp(now_epoch_s, tz).date()
    start = datetime.combine(today, time(0), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    return DayWindow(start=start, end=end)


def center_threshold_s(center: Center) -> float:
    """The service-level threshold for the whole center: the strictest queue's, or the default."""
    targets = [queue.service_level_s for queue in center.queues.values()]
    return min(targets) if targets else QueueDef().service_level_s


@router.get("/today")
def today(_user: SupervisorUser, context: ContextDep) -> TodayStatsOut:
    """Today's figures, from the stored call records and events."""
    info = context.center.center
    window = day_window(context.clock.now(), ZoneInfo(info.timezone))
    records = load_records(context.sessions, window.start, window.end)
    events = load_events(context.sessions, start=window.start, end=window.end)
    threshold_s = center_threshold_s(context.center)
    summary = summarize(
        records,
        events,
        threshold_s=threshold_s,
        short_abandon_s=info.short_abandon_s,
        start=window.start.timestamp(),
        end=window.end.timestamp(),
    )
    return TodayStatsOut(
        date=window.start.date().isoformat(),
        timezone=info.timezone,
        start=window.start,
        end=window.end,
        threshold_s=threshold_s,
        offered=summary.offered,
        answered=summary.answered,
        abandoned=summary.abandoned,
        short_abandoned=summary.short_abandoned,
        service_level=summary.service_level,
        asa_s=summary.asa_s,
    )
