"""Service-level agreements for tickets: which policy applies and when a ticket is due.

A policy gives a response target (first reaction) and a resolution target per ticket category and
priority, counted in calendar time or in business hours (`crm_core.business_time`). The policy for
a ticket is the first that matches, in this order:

    (category, priority) → (category, any priority) → (any category, priority) → (any, any)
    → `DEFAULT_POLICY` (respond within 8 hours, resolve within 3 days, calendar time)

The resolution clock stops while the ticket waits on the customer (`pending`) and while it is
resolved or closed; a reopened ticket carries on where its clock stopped. So the due time moves
later by the (working) time spent paused, and a ticket whose clock is stopped has no due time.
A ticket that was already past due when its clock stopped stays overdue from that instant: pausing
never un-breaches. The response clock never stops: a new ticket cannot be waiting on the customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_core.business_time import CONTINUOUS, ZERO, BusinessCalendar, WorkingTime
from crm_core.ticket_rules import TicketPriority, TicketStatus

ANY = "*"
CATEGORY_MAX = 64
TARGET_MAX = timedelta(days=366)
PAUSED_STATUSES = frozenset({TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED})


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets for tickets of one category and priority (`ANY` matches every value)."""

    category: str
    priority: str
    resolution: timedelta
    response: timedelta | None = None
    business_hours: bool = False

    def __post_init__(self) -> None:
        _check_key(self.category, self.priority)
        _check_target("resolution", self.resolution)
        if self.response is not None:
            _check_target("response", self.response)
            if self.response > self.resolution:
                raise ValueError("the response target must not be later than the resolution one")

    @property
    def key(self) -> tuple[str, str]:
        """(category, priority): one policy per key."""
        return (self.category, self.priority)


def _check_key(category: str, priority: str) -> None:
    if not category or len(category) > CATEGORY_MAX or category != category.strip().lower():
        raise ValueError(f"category must be 1-{CATEGORY_MAX} lower-case characters, not padded")
    if priority != ANY and priority not in set(TicketPriority):
        allowed = ", ".join([*TicketPriority, ANY])
        raise ValueError(f"priority {priority!r} is not one of {allowed}")


def _check_target(name: str, target: timedelta) -> None:
    if not ZERO < target <= TARGET_MAX:
        limit = TARGET_MAX.days
        raise ValueError(f"the {name} target must be more than 0 and at most {limit} days")


DEFAULT_POLICY = SlaPolicy(
    category=ANY, priority=ANY, response=timedelta(hours=8), resolution=timedelta(days=3)
)


def select_policy(
    policies: Iterable[SlaPolicy], category: str, priority: TicketPriority | str
) -> SlaPolicy:
    """The policy for a ticket of `category` and `priority`, by the fallback order above."""
    by_key = {policy.key: policy for policy in policies}
    wanted = str(priority)
    for key in ((category, wanted), (category, ANY), (ANY, wanted), (ANY, ANY)):
        if key in by_key:
            return by_key[key]
    return DEFAULT_POLICY


def working_time(policy: SlaPolicy, calendar: BusinessCalendar) -> WorkingTime:
    """How `policy` counts time: the center's business hours or round the clock."""
    return calendar if policy.business_hours else CONTINUOUS


@dataclass(frozen=True, slots=True)
class Pause:
    """A stretch [start, end) in which the clock stood still; `end` None: still standing."""

    start: datetime
    end: datetime | None = None


def pauses_from(
    changes: Iterable[tuple[datetime, TicketStatus]], *, until: datetime | None = None
) -> list[Pause]:
    """The clock's pauses from a ticket's status changes (in time order; it starts `new`).

    Changes after `until` are not known yet: a pause they would end is still running.
    """
    pauses: list[Pause] = []
    paused_since: datetime | None = None
    for at, status in changes:
        if until is not None and at > until:
            break
        if status in PAUSED_STATUSES and paused_since is None:
            paused_since = at
        elif status not in PAUSED_STATUSES and paused_since is not None:
            pauses.append(Pause(paused_since, at))
            paused_since = None
    if paused_since is not None:
        pauses.append(Pause(paused_since))
    return pauses


def due_at(
    start: datetime,
    target: timedelta,
    pauses: Sequence[Pause] = (),
    working: WorkingTime = CONTINUOUS,
) -> datetime | None:
    """When `target` of running working time has passed since `start`; None while paused short.

    If the target is reached before a pause begins, that instant is the answer whatever follows.
    """
    left = target
    cursor = start
    for pause in _clip(pauses, start):
        run = working.between(cursor, pause.start)
        if run >= left:
            return working.advance(cursor, left)
        left -= run
        if pause.end is None:
            return None
        cursor = pause.end
    return working.advance(cursor, left)


@dataclass(frozen=True, slots=True)
class SlaClock:
    """A service-level clock read at one instant."""

    due_at: datetime | None
    paused: bool
    elapsed: timedelta
    remaining: timedelta
    breached: bool


def clock_at(
    start: datetime,
    target: timedelta,
    pauses: Sequence[Pause],
    working: WorkingTime,
    now: datetime,
) -> SlaClock:
    """The clock of a target counted from `start`, as known at `now` (later pauses ignored)."""
    known = [Pause(p.start, _end_before(p.end, now)) for p in pauses if p.start < now]
    clipped = _clip(known, start)
    elapsed = working.between(start, now)
    for pause in clipped:
        elapsed -= working.between(pause.start, pause.end or now)
    due = due_at(start, target, clipped, working)
    return SlaClock(
        due_at=due,
        paused=bool(clipped) and clipped[-1].end is None,
        elapsed=elapsed,
        remaining=target - elapsed,
        breached=due is not None and now > due,
    )


def _end_before(end: datetime | None, now: datetime) -> datetime | None:
    return end if end is not None and end <= now else None


def _clip(pauses: Iterable[Pause], start: datetime) -> list[Pause]:
    """Pauses sorted, cut to begin no earlier than `start`, overlapping ones joined."""
    out: list[Pause] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and pause.end <= start:
            continue
        begin = max(pause.start, start)
        if out and (out[-1].end is None or begin <= out[-1].end):
            last = out[-1]
            end = None if last.end is None or pause.end is None else max(last.end, pause.end)
            out[-1] = Pause(last.start, end)
        else:
            out.append(Pause(begin, pause.end))
    return out
