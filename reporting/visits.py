"""Queue visits from call events: the unit every per-queue figure counts.

Each ENTERQUEUE starts a visit of that call in that queue (the call is *offered* to the queue). The
visit ends at the call's next queue event (in `seq` order):

- CONNECT: answered; ABANDON: abandoned (the caller hung up while waiting or while a phone rang);
- EXITWITHTIMEOUT, EXITFULL, EXITEMPTY, or another ENTERQUEUE without an exit: overflowed out (the
  call left for its overflow destination, which may be another queue: a call that overflows from A
  to B is offered in both, and is overflowed-out in A);
- no further queue event in the data: still waiting.

So offered = answered + abandoned + overflowed-out + still-waiting in every group, by construction.
An exit that does not end an open visit (EXITFULL: the queue was full; EXITEMPTY: no agent was
logged in and the queue does not take callers then) is a caller turned away at the door: counted
as *blocked* in that queue, never as offered (the call never entered it).

Visits are selected by when they started (ENTERQUEUE in [start, end)); their ends are looked up
in whatever later events the caller loaded, so a call entering at 23:59 and answered at 00:01 is
answered in the interval it was offered in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ENTERQUEUE = "ENTERQUEUE"
CONNECT = "CONNECT"
ABANDON = "ABANDON"
EXIT_KINDS = ("EXITWITHTIMEOUT", "EXITFULL", "EXITEMPTY")
VISIT_KINDS = (ENTERQUEUE, CONNECT, ABANDON, *EXIT_KINDS)

ANSWERED = "answered"
ABANDONED = "abandoned"
OVERFLOWED = "overflowed"
WAITING = "waiting"
RESULTS = (ANSWERED, ABANDONED, OVERFLOWED, WAITING)

VISIT_COLUMNS = ("call_id", "queue", "entered_at", "ended_at", "result", "wait_s")


def _ordered(events: pd.DataFrame) -> pd.DataFrame:
    """Queue events sorted by call, then seq, with the next and previous event of the same call."""
    queue_events = events[events["kind"].isin(VISIT_KINDS)]
    codes, _ = pd.factorize(queue_events["call_id"].to_numpy())
    order = np.lexsort((queue_events["seq"].to_numpy(), codes))
    frame = queue_events.iloc[order].reset_index(drop=True)
    call = codes[order]
    same = call[1:] == call[:-1]
    same_next = np.append(same, False) if len(call) else np.zeros(0, bool)
    same_prev = np.insert(same, 0, False) if len(call) else np.zeros(0, bool)
    kinds = frame["kind"].to_numpy(dtype=object)
    frame["next_kind"] = np.where(same_next, np.roll(kinds, -1), "")
    frame["next_at"] = np.where(same_next, np.roll(frame["at"].to_numpy(), -1), np.nan)
    frame["prev_kind"] = np.where(same_prev, np.roll(kinds, 1), "")
    frame["prev_queue"] = np.where(same_prev, np.roll(frame["queue"].to_numpy(object), 1), "")
    return frame


def visits_and_blocked(
    events: pd.DataFrame, start: float, end: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`queue_visits` and `blocked_calls` together, sorting the events once."""
    frame = _ordered(events)
    return _visits(frame, start, end), _blocked(frame, start, end)


def queue_visits(events: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """One row per visit started in [start, end): call_id, queue, entered_at, ended_at (NaN while
    waiting), result (answered/abandoned/overflowed/waiting), wait_s (NaN while waiting).

    `events` needs columns seq, at, call_id, kind, queue (other kinds are ignored).
    """
    return _visits(_ordered(events), start, end)


def _visits(frame: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    at = frame["at"].to_numpy()
    starts = frame[(frame["kind"].to_numpy() == ENTERQUEUE) & (at >= start) & (at < end)]
    next_kind = starts["next_kind"].to_numpy(dtype=object)
    result = np.full(len(starts), OVERFLOWED, dtype=object)
    result[next_kind == CONNECT] = ANSWERED
    result[next_kind == ABANDON] = ABANDONED
    result[next_kind == ""] = WAITING
    visits = pd.DataFrame(
        {
            "call_id": starts["call_id"].to_numpy(),
            "queue": starts["queue"].to_numpy(),
            "entered_at": starts["at"].to_numpy(),
            "ended_at": starts["next_at"].to_numpy(),
            "result": pd.Categorical(result, categories=RESULTS),
        }
    )
    visits["wait_s"] = visits["ended_at"] - visits["entered_at"]
    return visits.sort_values("entered_at", kind="stable").reset_index(drop=True)


def blocked_calls(events: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Callers turned away at a queue's door in [start, end): call_id, queue, at (one row each).

    Pass the events from a little before `start`, so an exit ending a visit that began before
    the window is seen to end it.
    """
    return _blocked(_ordered(events), start, end)


def _blocked(frame: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    ends_a_visit = (frame["prev_kind"] == ENTERQUEUE) & (frame["prev_queue"] == frame["queue"])
    exits = frame["kind"].isin(EXIT_KINDS)
    rows = frame[exits & ~ends_a_visit & (frame["at"] >= start) & (frame["at"] < end)]
    return pd.DataFrame(
        {
            "call_id": rows["call_id"].to_numpy(),
            "queue": rows["queue"].to_numpy(),
            "at": rows["at"].to_numpy(),
        }
    )
