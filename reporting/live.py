"""Live figures for the wallboard: "today so far", center-wide and per queue.

Today runs from local midnight (center time zone) to `now`; the figures are the report's (same
definitions, same code), with `still_waiting` the callers in a queue right now and
`oldest_wait_s` how long the longest of them has waited. `hours` is the wallboard's chart: calls
offered, answered and abandoned in each clock hour of the last few (today's only), oldest
first, hours without calls included as zeros.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from config.center import Center
from reporting.data import ReportData, load_data
from reporting.intervals import parse_interval
from reporting.report import ReportSpec, build_report
from reporting.visits import WAITING, queue_visits
from reporting.window import day_window, local_day

LIVE_FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "overflowed_out",
    "still_waiting",
    "service_level",
    "answer_rate",
    "loss_rate",
    "asa_s",
    "longest_wait_s",
    "aht_s",
)
CHART_HOURS = 8
CHART_FIGURES = ("offered", "answered", "abandoned")
HOUR_S = 3600


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """Today so far: the center's figures and each queue's (JSON-ready values, None = no data)."""

    date: str
    timezone: str
    start: datetime
    as_of: datetime
    threshold_s: float
    center: dict[str, Any]
    queues: list[dict[str, Any]]
    hours: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """For a JSON response."""
        return {
            "date": self.date,
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "as_of": self.as_of.isoformat(),
            "threshold_s": self.threshold_s,
            "center": self.center,
            "queues": self.queues,
            "hours": self.hours,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _oldest_waits(data: ReportData, start: float, now: float) -> dict[str, float]:
    visits = queue_visits(data.queue_events, start, now)
    waiting = visits[visits["result"] == WAITING]
    return {str(q): now - float(t) for q, t in waiting.groupby("queue")["entered_at"].min().items()}


def live_figures(data: ReportData, center: Center, now: float) -> LiveFigures:
    """Today's figures up to `now` from report data that covers today."""
    tz = ZoneInfo(center.center.timezone)
    start, end = day_window(local_day(now, tz), tz)
    spec = ReportSpec(start=start, end=end, interval=parse_interval("60m"), as_of=now)
    report = build_report(data, center, spec)
    oldest = _oldest_waits(data, start, now)
    totals = {name: _plain(report.summary.get(name)) for name in LIVE_FIGURES}
    totals["blocked"] = _plain(report.summary["blocked"])
    totals["oldest_wait_s"] = max(oldest.values(), default=None)
    queues = []
    for row in report.by_queue.to_dict("records"):
        figures: dict[str, Any] = {"queue": row["queue"]}
        figures |= {name: _plain(row[name]) for name in (*LIVE_FIGURES, "blocked")}
        figures["oldest_wait_s"] = oldest.get(str(row["queue"]))
        queues.append(figures)
    return LiveFigures(
        date=local_day(now, tz).isoformat(),
        timezone=center.center.timezone,
        start=datetime.fromtimestamp(start, tz),
        as_of=datetime.fromtimestamp(now, tz),
        threshold_s=report.threshold_s,
        center=totals,
        queues=queues,
        hours=_last_hours(report.by_interval, start, now, tz),
    )


def _last_hours(
    by_interval: Any, day_start: float, now: float, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """The chart's hours: up to CHART_HOURS clock hours of today, the current one last."""
    counted = {
        int(row["interval_start"]): row for row in by_interval.to_dict("records")
    }  # hours with calls; the others are zeros
    current = day_start + ((now - day_start) // HOUR_S) * HOUR_S
    first = max(day_start, current - (CHART_HOURS - 1) * HOUR_S)
    hours = []
    for start in np.arange(first, current + 1, HOUR_S):
        row = counted.get(int(start), {})
        hour: dict[str, Any] = {"start": datetime.fromtimestamp(float(start), tz).isoformat()}
        hour |= {name: int(_plain(row.get(name)) or 0) for name in CHART_FIGURES}
        hours.append(hour)
    return hours


def today_so_far(sessions: sessionmaker[Session], center: Center, now: float) -> LiveFigures:
    """Today's figures up to `now`, from the database."""
    tz = ZoneInfo(center.center.timezone)
    start, end = day_window(local_day(now, tz), tz)
    return live_figures(load_data(sessions, start, end, live=True), center, now)
