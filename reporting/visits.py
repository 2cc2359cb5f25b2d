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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reporting.grouping import codes_of

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


@dataclass(frozen=True, slots=True)
class _Ordered:
    """Queue events sorted by call, then seq, as arrays, with each one's neighbours in its call."""

    rows: np.ndarray  # positions in the events frame
    seq: np.ndarray
    kind: np.ndarray  # _ENTER, _CONNECT, _ABANDON or _EXIT
    at: np.ndarray
    queue: np.ndarray  # codes into `queues`
    queues: pd.Index
    next_kind: np.ndarray  # _NONE when the call has no later queue event
    next_at: np.ndarray  # NaN likewise
    ends_a_visit: np.ndarray  # the previous event of the call entered this event's queue


_NONE, _ENTER, _CONNECT, _ABANDON, _EXIT = -1, 0, 1, 2, 3
_KIND_CODES = {ENTERQUEUE: _ENTER, CONNECT: _CONNECT, ABANDON: _ABANDON}
_KIND_CODES |= dict.fromkeys(EXIT_KINDS, _EXIT)
_RESULT_OF_NEXT = {_NONE: WAITING, _ENTER: OVERFLOWED, _CONNECT: ANSWERED, _ABANDON: ABANDONED}
_RESULT_OF_NEXT[_EXIT] = OVERFLOWED


def _kind_codes(kinds: pd.Series) -> np.ndarray:
    codes, names = codes_of(kinds)
    table = np.array([_KIND_CODES.get(str(n), _NONE - 1) for n in names] + [_NONE - 1])
    return np.asarray(table[codes], dtype=np.int64)  # code -1 (missing) maps to the last


def _call_codes(events: pd.DataFrame) -> np.ndarray:
    """One integer per call: the position of its record where known, else a code after those."""
    if "record" not in events:
        return codes_of(events["call_id"])[0]
    record = np.asarray(events["record"].to_numpy(), dtype=np.int64)
    unlinked = record < 0
    if not unlinked.any():
        return record
    others, _ = pd.factorize(events["call_id"].array[unlinked])
    codes = record.copy()
    codes[unlinked] = int(record.max(initial=-1)) + 1 + np.asarray(others, dtype=np.int64)
    return codes


def _sort_order(call: np.ndarray, seq: np.ndarray) -> np.ndarray:
    if len(seq) == 0:
        return np.zeros(0, dtype=np.int64)
    low = int(seq.min())
    span = int(seq.max()) - low + 1
    if int(call.max()) < np.iinfo(np.int64).max // span - 1:
        # One combined key sorts faster than lexsort's two passes.
        return np.argsort(call * span + (seq - low), kind="stable")
    return np.lexsort((seq, call))


def _ordered(events: pd.DataFrame) -> _Ordered:
    """The queue events (other kinds are ignored) in call order, see `_Ordered`."""
    kind = _kind_codes(events["kind"])
    rows = np.flatnonzero(kind >= _ENTER)
    call, seq = _call_codes(events)[rows], events["seq"].to_numpy(dtype=np.int64)[rows]
    perm = _sort_order(call, seq)
    order, call, seq, kind = rows[perm], call[perm], seq[perm], kind[rows[perm]]
    queue_codes, queues = codes_of(events["queue"])
    queue, at = queue_codes[order], events["at"].to_numpy(dtype=np.float64)[order]
    same = call[1:] == call[:-1]
    next_kind = np.full(len(order), _NONE, dtype=np.int64)
    next_kind[:-1][same] = kind[1:][same]
    next_at = np.full(len(order), np.nan)
    next_at[:-1][same] = at[1:][same]
    ends = np.zeros(len(order), dtype=bool)
    ends[1:] = same & (kind[:-1] == _ENTER) & (queue[:-1] == queue[1:])
    return _Ordered(order, seq, kind, at, queue, queues, next_kind, next_at, ends)


def visits_and_blocked(
    events: pd.DataFrame, start: float, end: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`queue_visits` and `blocked_calls` together, sorting the events once."""
    ordered = _ordered(events)
    return _visits(events, ordered, start, end), _blocked(events, ordered, start, end)


def queue_visits(events: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """One row per visit started in [start, end): call_id, queue, entered_at, ended_at (NaN while
    waiting), result (answered/abandoned/overflowed/waiting), wait_s (NaN while waiting), and
    `record` when the events have it (the position of the call's record).

    `events` needs columns seq, at, call_id, kind, queue (other kinds are ignored).
    """
    return _visits(events, _ordered(events), start, end)


def _in(at: np.ndarray, start: float, end: float) -> np.ndarray:
    return (at >= start) & (at < end)


def _visits(events: pd.DataFrame, o: _Ordered, start: float, end: float) -> pd.DataFrame:
    picked = np.flatnonzero((o.kind == _ENTER) & _in(o.at, start, end))
    # Oldest first; visits entered at the same instant in event order.
    picked = picked[np.lexsort((o.seq[picked], o.at[picked]))]
    rows = o.rows[picked]
    result_codes = np.array([RESULTS.index(_RESULT_OF_NEXT[k]) for k in range(_NONE, _EXIT + 1)])
    entered, ended = o.at[picked], o.next_at[picked]
    visits = pd.DataFrame(
        {
            "call_id": events["call_id"].array.take(rows),
            "queue": pd.Categorical.from_codes(o.queue[picked], dtype=_dtype(o.queues)),
            "entered_at": entered,
            "ended_at": ended,
            "result": pd.Categorical.from_codes(
                result_codes[o.next_kind[picked] - _NONE], categories=RESULTS
            ),
            "wait_s": ended - entered,
        }
    )
    if "record" in events:
        visits["record"] = events["record"].to_numpy(dtype=np.int64)[rows]
    return visits


def _dtype(queues: pd.Index) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(queues)


def blocked_calls(events: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Callers turned away at a queue's door in [start, end): call_id, queue, at (one row each).

    Pass the events from a little before `start`, so an exit ending a visit that began before
    the window is seen to end it.
    """
    return _blocked(events, _ordered(events), start, end)


def _blocked(events: pd.DataFrame, o: _Ordered, start: float, end: float) -> pd.DataFrame:
    picked = np.flatnonzero((o.kind == _EXIT) & ~o.ends_a_visit & _in(o.at, start, end))
    return pd.DataFrame(
        {
            "call_id": events["call_id"].array.take(o.rows[picked]),
            "queue": pd.Categorical.from_codes(o.queue[picked], dtype=_dtype(o.queues)),
            "at": o.at[picked],
        }
    )
