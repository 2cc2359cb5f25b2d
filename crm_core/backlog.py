"""Backlog figures from ticket histories: what was open, what was overdue, how the backlog grew.

Pure: the ticket service loads the histories (`TicketHistory`) and reporting reads the rows
(`BacklogRow`, plain frozen dataclasses, no pandas).

Definitions (reports use these exactly):
- a ticket is *in the backlog* at instant t when it was created before t and its status just
  before t is new, open or pending ("at t" means "as things stood when t began", so a period
  [start, end) starts with the backlog at start and ends with the backlog at end);
- it is *overdue* at t when it is in the backlog and its resolution due time, computed from what
  was known before t (pauses while pending), lies before t;
- per period: *created* tickets, *resolved* (a change from new/open/pending to resolved or
  closed), *reopened* (back from resolved), the backlog at both ends, its *growth*
  (end − start = created − resolved + reopened) and *net flow* (created − resolved).
Periods are local days, weeks (Monday first) or months in the center's time zone.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from crm_core.business_time import CONTINUOUS, WorkingTime
from crm_core.sla import due_at, pauses_from
from crm_core.ticket_rules import ACTIVE_STATUSES, DONE_STATUSES, TicketStatus

MAX_PERIODS = 3700  # ten years of days: a bound so a typo in a date cannot build a huge report


class Bucket(StrEnum):
    """The length of a report period."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class ResolutionTarget:
    """The resolution target a ticket is measured against, and how time is counted for it."""

    target: timedelta
    working: WorkingTime = CONTINUOUS


@dataclass(frozen=True, slots=True)
class TicketHistory:
    """A ticket's creation and status changes (it starts `new`), as backlog figures need them."""

    ticket_id: int
    created_at: datetime
    changes: tuple[tuple[datetime, TicketStatus], ...] = ()
    resolution: ResolutionTarget | None = None
    _times: tuple[datetime, ...] = field(init=False, repr=False, compare=False)
    # The due time knowing the first k changes, by k: filled as asked (at most len + 1 values).
    _dues: dict[int, datetime | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.changes, key=lambda change: change[0]))
        if ordered and ordered[0][0] < self.created_at:
            raise ValueError(f"ticket {self.ticket_id}: a status change before its creation")
        object.__setattr__(self, "changes", ordered)
        object.__setattr__(self, "_times", tuple(at for at, _ in ordered))
        object.__setattr__(self, "_dues", {})

    def status_before(self, at: datetime) -> TicketStatus | None:
        """The status just before `at`; None if the ticket did not exist yet."""
        if self.created_at >= at:
            return None
        index = bisect.bisect_left(self._times, at)
        return self.changes[index - 1][1] if index else TicketStatus.NEW

    def due_before(self, at: datetime) -> datetime | None:
        """The resolution due time as known just before `at` (None: no target, or paused short).

        It depends only on how many changes were known, so each answer is computed once.
        """
        return self._due_knowing(bisect.bisect_left(self._times, at))

    def overdue_spans(self) -> list[tuple[datetime, datetime | None]]:
        """The stretches (after, until] in which the ticket was overdue; `until` None: still is.

        Between two changes the known status and due time stay the same, so each stretch is
        one such interval cut to begin at the due time.
        """
        if self.resolution is None:
            return []
        bounds: list[datetime | None] = [self.created_at, *self._times, None]
        spans: list[tuple[datetime, datetime | None]] = []
        for known in range(len(self._times) + 1):
            status = self.changes[known - 1][1] if known else TicketStatus.NEW
            after, until = bounds[known], bounds[known + 1]
            if status not in ACTIVE_STATUSES or after is None or after == until:
                continue
            due = self._due_knowing(known)
            if due is None:
                continue
            start = max(after, due)
            if until is None or start < until:
                spans.append((start, until))
        return spans

    def _due_knowing(self, known: int) -> datetime | None:
        """The due time computed from the first `known` changes (cached)."""
        if self.resolution is None:
            return None
        if known not in self._dues:
            target = self.resolution
            pauses = pauses_from(self.changes[:known])
            self._dues[known] = due_at(self.created_at, target.target, pauses, target.working)
        return self._dues[known]


@dataclass(frozen=True, slots=True)
class BacklogRow:
    """The backlog figures of one period [start, end) (dates in the center's time zone)."""

    start: date
    end: date
    created: int
    resolved: int
    reopened: int
    backlog_start: int
    backlog_end: int
    overdue_end: int

    @property
    def growth(self) -> int:
        """How much the backlog grew over the period (negative: it shrank)."""
        return self.backlog_end - self.backlog_start

    @property
    def net_flow(self) -> int:
        """Tickets created minus tickets resolved in the period."""
        return self.created - self.resolved


def in_backlog(history: TicketHistory, at: datetime) -> bool:
    """True when the ticket was in the backlog at `at`."""
    return history.status_before(at) in ACTIVE_STATUSES


def is_overdue(history: TicketHistory, at: datetime) -> bool:
    """True when the ticket was in the backlog at `at` and past its resolution due time."""
    if history.resolution is None or not in_backlog(history, at):
        return False
    due = history.due_before(at)
    return due is not None and due < at


def backlog_at(histories: Iterable[TicketHistory], at: datetime) -> int:
    """How many tickets were in the backlog at `at`."""
    return sum(1 for history in histories if in_backlog(history, at))


def overdue_at(histories: Iterable[TicketHistory], at: datetime) -> list[int]:
    """The ids of the tickets overdue at `at`, in the order given."""
    return [history.ticket_id for history in histories if is_overdue(history, at)]


def periods(first: date, last: date, bucket: Bucket) -> list[tuple[date, date]]:
    """The periods [start, end) covering the days `first` to `last`, aligned to their bucket.

    Weeks start on Monday and months on the 1st, so the first period may begin before `first`
    and the last end after `last`.
    """
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    out: list[tuple[date, date]] = []
    start = _align(first, bucket)
    while start <= last:
        end = _next(start, bucket)
        out.append((start, end))
        start = end
        if len(out) > MAX_PERIODS:
            raise ValueError(f"more than {MAX_PERIODS} periods: choose a shorter range")
    return out


def report_window(
    first: date, last: date, bucket: Bucket, timezone: str
) -> tuple[datetime, datetime]:
    """The instants [start, end) the periods covering `first` to `last` span, in UTC."""
    spans = periods(first, last, bucket)
    zone = ZoneInfo(timezone)
    return _instant(spans[0][0], zone), _instant(spans[-1][1], zone)


def backlog_growth(
    histories: Sequence[TicketHistory],
    first: date,
    last: date,
    bucket: Bucket,
    timezone: str,
) -> list[BacklogRow]:
    """One `BacklogRow` per period covering `first` to `last` (local dates in `timezone`)."""
    zone = ZoneInfo(timezone)
    flows = _Flows(histories)
    rows = []
    for start, end in periods(first, last, bucket):
        begin, finish = _instant(start, zone), _instant(end, zone)
        rows.append(
            BacklogRow(
                start=start,
                end=end,
                created=flows.count(flows.created, begin, finish),
                resolved=flows.count(flows.resolved, begin, finish),
                reopened=flows.count(flows.reopened, begin, finish),
                backlog_start=flows.backlog_at(begin),
                backlog_end=flows.backlog_at(finish),
                overdue_end=flows.overdue_at(finish),
            )
        )
    return rows


class _Flows:
    """The instants at which tickets entered and left the backlog, sorted for counting."""

    def __init__(self, histories: Iterable[TicketHistory]) -> None:
        self.created: list[datetime] = []
        self.resolved: list[datetime] = []
        self.reopened: list[datetime] = []
        self.overdue_from: list[datetime] = []
        self.overdue_until: list[datetime] = []
        for history in histories:
            self.created.append(history.created_at)
            for start, until in history.overdue_spans():
                self.overdue_from.append(start)
                if until is not None:
                    self.overdue_until.append(until)
            previous = TicketStatus.NEW
            for at, status in history.changes:
                if previous in ACTIVE_STATUSES and status in DONE_STATUSES:
                    self.resolved.append(at)
                elif previous in DONE_STATUSES and status in ACTIVE_STATUSES:
                    self.reopened.append(at)
                previous = status
        for instants in (
            self.created,
            self.resolved,
            self.reopened,
            self.overdue_from,
            self.overdue_until,
        ):
            instants.sort()

    @staticmethod
    def count(instants: list[datetime], begin: datetime, finish: datetime) -> int:
        """How many of the sorted `instants` lie in [begin, finish)."""
        return bisect.bisect_left(instants, finish) - bisect.bisect_left(instants, begin)

    def backlog_at(self, at: datetime) -> int:
        """Tickets in the backlog at `at`: every entry before it minus every exit before it."""

        def before(instants: list[datetime]) -> int:
            return bisect.bisect_left(instants, at)

        return before(self.created) - before(self.resolved) + before(self.reopened)

    def overdue_at(self, at: datetime) -> int:
        """Tickets overdue at `at`: spans (after, until] with after < at <= until."""
        started = bisect.bisect_left(self.overdue_from, at)
        return started - bisect.bisect_left(self.overdue_until, at)


def _instant(day: date, zone: ZoneInfo) -> datetime:
    # In UTC: aware datetimes sharing one tzinfo compare by wall time, wrong across DST.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _align(day: date, bucket: Bucket) -> date:
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    if bucket is Bucket.MONTH:
        return day.replace(day=1)
    return day


def _next(start: date, bucket: Bucket) -> date:
    if bucket is Bucket.WEEK:
        return start + timedelta(days=7)
    if bucket is Bucket.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)
