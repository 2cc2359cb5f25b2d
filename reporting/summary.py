"""The headline figures of a period, computed from call records and call events alone.

Every figure follows DESIGN.md "Definitions" exactly:

- offered: records that entered a queue (`queued_at` set); answered: `answered_at` set;
  abandoned: outcome "abandoned"; short abandoned: abandoned after waiting at most
  `short_abandon_s`; IVR-handled: outcome "ivr"; overflowed: outcome "overflow".
- service level SL(T) = answered within T / (answered + abandoned after `short_abandon_s`).
- ASA = mean wait of answered calls; AHT = talk + hold + wrap-up (hold is not recorded yet, so 0).
- answer rate = answered / offered; loss rate = abandoned / offered;
  answered-beyond-threshold rate = answered after T / answered.
- occupancy = handle / (handle + idle), summed over agents: logged-in time from AGENTLOGIN and
  AGENTLOGOFF events, paused time from PAUSE and UNPAUSE, handle = talk + wrap of the agent's
  answered calls, idle = logged-in − paused − handle (never below 0).

A ratio whose denominator is 0 is None ("no data"), never 0 and never an error.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from crm_core.call_records import CallEventData, CallRecordData

OUTCOME_ABANDONED = "abandoned"
OUTCOME_IVR = "ivr"
OUTCOME_OVERFLOW = "overflow"

EVENT_LOGIN = "AGENTLOGIN"
EVENT_LOGOFF = "AGENTLOGOFF"
EVENT_PAUSE = "PAUSE"
EVENT_UNPAUSE = "UNPAUSE"
_AGENT_EVENTS = frozenset({EVENT_LOGIN, EVENT_LOGOFF, EVENT_PAUSE, EVENT_UNPAUSE})

# Rates are shown as shares to 0.01 %, durations to 0.01 s: finer digits are noise to a reader.
RATE_DIGITS = 4
SECONDS_DIGITS = 2
_RATE_FIELDS = frozenset(
    {"service_level", "answer_rate", "loss_rate", "answered_beyond_threshold_rate", "occupancy"}
)

Interval = tuple[float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """The headline figures of one period (see the module docstring for each definition)."""

    threshold_s: float
    short_abandon_s: float
    offered: int
    answered: int
    answered_within_threshold: int
    abandoned: int
    short_abandoned: int
    ivr_handled: int
    overflowed: int
    service_level: float | None
    asa_s: float | None
    longest_wait_s: float | None
    aht_s: float | None
    avg_talk_s: float | None
    answer_rate: float | None
    answered_beyond_threshold_rate: float | None
    loss_rate: float | None
    occupancy: float | None

    def as_dict(self) -> dict[str, int | float | None]:
        """The figures as JSON-ready values, rates and durations rounded for display."""
        out: dict[str, int | float | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float):
                digits = RATE_DIGITS if f.name in _RATE_FIELDS else SECONDS_DIGITS
                value = round(value, digits)
            out[f.name] = value
        return out


def summarize(
    records: Sequence[CallRecordData],
    events: Sequence[CallEventData],
    *,
    threshold_s: float,
    short_abandon_s: float,
    start: float | None = None,
    end: float | None = None,
) -> Summary:
    """The figures for calls that arrived in [start, end) (all calls when no window is given)."""
    _check_arguments(threshold_s, short_abandon_s, start, end)
    in_window = [r for r in records if _in_window(r.arrived_at, start, end)]
    answered = [r for r in in_window if r.answered_at is not None]
    abandoned = [r for r in in_window if r.outcome == OUTCOME_ABANDONED]
    short = [r for r in abandoned if _is_short_abandon(r, short_abandon_s)]
    within = [r for r in answered if _answer_wait(r) <= threshold_s]
    offered = sum(1 for r in in_window if r.queued_at is not None)
    waits = [w for r in in_window if (w := r.wait_s) is not None]
    return Summary(
        threshold_s=threshold_s,
        short_abandon_s=short_abandon_s,
        offered=offered,
        answered=len(answered),
        answered_within_threshold=len(within),
        abandoned=len(abandoned),
        short_abandoned=len(short),
        ivr_handled=sum(1 for r in in_window if r.outcome == OUTCOME_IVR),
        overflowed=sum(1 for r in in_window if r.outcome == OUTCOME_OVERFLOW),
        service_level=_ratio(len(within), len(answered) + len(abandoned) - len(short)),
        asa_s=_mean(_answer_wait(r) for r in answered),
        longest_wait_s=max(waits, default=None),
        aht_s=_mean(r.talk_s + r.wrap_s for r in answered),
        avg_talk_s=_mean(r.talk_s for r in answered),
        answer_rate=_ratio(len(answered), offered),
        answered_beyond_threshold_rate=_ratio(len(answered) - len(within), len(answered)),
        loss_rate=_ratio(len(abandoned), offered),
        occupancy=_occupancy(answered, events, start, end),
    )


def _check_arguments(
    threshold_s: float, short_abandon_s: float, start: float | None, end: float | None
) -> None:
    for name, value in (("threshold_s", threshold_s), ("short_abandon_s", short_abandon_s)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    if start is not None and end is not None and end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")


def _in_window(at: float, start: float | None, end: float | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


def _answer_wait(record: CallRecordData) -> float:
    """Queue wait of an answered call; a call answered without queueing waited 0 s in a queue."""
    wait = record.wait_s
    return 0.0 if wait is None else wait


def _is_short_abandon(record: CallRecordData, short_abandon_s: float) -> bool:
    # An abandon with no known wait cannot be shown to be short, so it counts as a real one.
    wait = record.wait_s
    return wait is not None and wait <= short_abandon_s


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return math.fsum(items) / len(items) if items else None


# --- occupancy from agent events ---------------------------------------------------------------


def _occupancy(
    answered: Sequence[CallRecordData],
    events: Sequence[CallEventData],
    start: float | None,
    end: float | None,
) -> float | None:
    """Σ handle / (Σ handle + Σ idle) over every agent seen in the events or the answered calls."""
    agent_events = sorted(
        (e for e in events if e.kind in _AGENT_EVENTS and e.agent_id),
        key=lambda e: (e.at, e.seq),
    )
    close_at = end if end is not None else max((e.at for e in events), default=None)
    handle: dict[str, float] = defaultdict(float)
    for r in answered:
        if r.agent_id:
            handle[r.agent_id] += r.talk_s + r.wrap_s
    by_agent: dict[str, list[CallEventData]] = defaultdict(list)
    for e in agent_events:
        by_agent[e.agent_id].append(e)
    total_handle = math.fsum(handle.values())
    total_idle = 0.0
    for agent_id in by_agent.keys() | handle.keys():
        logged_in, paused = _agent_time(by_agent.get(agent_id, []), start, close_at)
        total_idle += max(0.0, logged_in - paused - handle.get(agent_id, 0.0))
    return _ratio(total_handle, total_handle + total_idle)


def _agent_time(
    events: Sequence[CallEventData], start: float | None, close_at: float | None
) -> tuple[float, float]:
    """(logged-in seconds, paused seconds) of one agent, clipped to [start, close_at]."""
    sessions, pauses = _agent_intervals(events, start, close_at)
    return _clipped_total(sessions, start, close_at), _clipped_total(pauses, start, close_at)


def _agent_intervals(
    events: Sequence[CallEventData], start: float | None, close_at: float | None
) -> tuple[list[Interval], list[Interval]]:
    """Login sessions and pauses of one agent, from its events in time order.

    When a window start is given and the agent's first event is not a login, the agent was
    already logged in (and, if that event is an UNPAUSE, paused) when the window opened.
    """
    sessions: list[Interval] = []
    pauses: list[Interval] = []
    first = events[0].kind if events else EVENT_LOGIN
    known_start = start is not None and first != EVENT_LOGIN
    login_since = start if known_start else None
    pause_since = start if known_start and first == EVENT_UNPAUSE else None
    for e in events:
        if e.kind == EVENT_LOGIN and login_since is None:
            login_since = e.at
        elif e.kind == EVENT_PAUSE and login_since is not None and pause_since is None:
            pause_since = e.at
        elif e.kind in (EVENT_UNPAUSE, EVENT_LOGOFF) and pause_since is not None:
            pauses.append((pause_since, e.at))
            pause_since = None
        if e.kind == EVENT_LOGOFF and login_since is not None:
            sessions.append((login_since, e.at))
            login_since = None
    # Still logged in (or paused) at the end: close there.
    if close_at is not None:
        if login_since is not None:
            sessions.append((login_since, close_at))
        if pause_since is not None:
            pauses.append((pause_since, close_at))
    return sessions, pauses


def _clipped_total(intervals: Iterable[Interval], start: float | None, end: float | None) -> float:
    lo = -math.inf if start is None else start
    hi = math.inf if end is None else end
    return math.fsum(max(0.0, min(b, hi) - max(a, lo)) for a, b in intervals)
