"""What a report is computed from: call records and call events as pandas frames, loaded from the
database (with `crm_core.record_bulk`) or built from in-memory lists (simulations, tests).

Frames (times are float epoch seconds, NaN when missing; text is "" when missing):

- records: one row per finished call, the columns of `crm_core.record_bulk.RECORD_COLUMNS`, plus
  `campaign` once calls carry one (the dialer is not built yet, so no loader adds it);
- queue_events: ENTERQUEUE, CONNECT, ABANDON, EXIT*: seq, at, call_id, kind, queue, agent_id;
- agent_events: AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE, with `data_reason` (a PAUSE's reason);
- ring_no_answer: RINGNOANSWER events: seq, at, call_id, kind, queue, agent_id.

`records` may hold calls that arrived shortly before the window (see `RECORD_LOOKBACK_S`): the
report counts calls by arrival, and uses the others only to know which queued calls have finished
(a queued call without a record is still in progress).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from crm_core.call_records import CallEventData, CallRecordData
from crm_core.record_bulk import (
    RECORD_COLUMNS,
    RECORD_KPI_COLUMNS,
    read_events,
    read_last_events_before,
    read_records,
)
from reporting.agents import AGENT_STATE_KINDS, RINGNOANSWER
from reporting.visits import VISIT_KINDS

HOUR_S = 3600.0
# A visit whose end is not within this time after the window is reported as still waiting; queue
# events are read from this long before the window too, to see which visit an exit ends.
VISIT_MARGIN_S = 4 * HOUR_S
# Calls that arrived this long before the window may first queue inside it: their records are
# read too, so they are not mistaken for calls still in progress.
RECORD_LOOKBACK_S = HOUR_S
_TIME_COLUMNS = ("arrived_at", "queued_at", "answered_at", "ended_at", "wrap_up_ended_at")


@dataclass(frozen=True, slots=True)
class ReportData:
    """The frames a report reads (see the module docstring)."""

    records: pd.DataFrame
    queue_events: pd.DataFrame
    agent_events: pd.DataFrame
    ring_no_answer: pd.DataFrame


def _event_frame(events: Sequence[CallEventData], with_reason: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "seq": np.array([e.seq for e in events], dtype=np.int64),
            "at": np.array([e.at for e in events], dtype=np.float64),
            "call_id": pd.Series([e.call_id for e in events], dtype=str),
            "kind": pd.Series([e.kind for e in events], dtype=str),
            "queue": pd.Series([e.queue for e in events], dtype=str),
            "agent_id": pd.Series([e.agent_id for e in events], dtype=str),
        }
    )
    if with_reason:
        frame["data_reason"] = pd.Series([str(e.data.get("reason", "")) for e in events], dtype=str)
    return frame


def records_frame(records: Sequence[CallRecordData]) -> pd.DataFrame:
    """Call records as a frame with `RECORD_COLUMNS`."""
    columns: dict[str, Any] = {}
    for name in RECORD_COLUMNS:
        values = [getattr(r, name) for r in records]
        if name in _TIME_COLUMNS:
            columns[name] = np.array(values, dtype=np.float64)  # None becomes NaN
        else:
            columns[name] = pd.Series(["" if v is None else v for v in values], dtype=str)
    return pd.DataFrame(columns)


def data_from_lists(
    records: Sequence[CallRecordData], events: Sequence[CallEventData]
) -> ReportData:
    """Report data from in-memory records and events (everything; the report picks its window)."""
    return ReportData(
        records=records_frame(records),
        queue_events=_event_frame([e for e in events if e.kind in VISIT_KINDS]),
        agent_events=_event_frame([e for e in events if e.kind in AGENT_STATE_KINDS], True),
        ring_no_answer=_event_frame([e for e in events if e.kind == RINGNOANSWER]),
    )


def load_data(
    sessions: sessionmaker[Session], start: float, end: float, *, with_detail: bool = True
) -> ReportData:
    """Report data for the window [start, end) from the database (see the module docstring).

    Without `with_detail` the records lack the columns only the per-call Detail shows
    (direction, caller, who hung up): the figures are the same, read faster.
    """
    if not end > start:
        raise ValueError(f"the report window must end after it starts ({start} .. {end})")
    since, until = to_datetime(start), to_datetime(end)
    columns = RECORD_COLUMNS if with_detail else RECORD_KPI_COLUMNS
    reason = ("reason",)
    records = read_records(sessions, to_datetime(start - RECORD_LOOKBACK_S), until, columns)
    queue_events = read_events(
        sessions,
        to_datetime(start - VISIT_MARGIN_S),
        to_datetime(end + VISIT_MARGIN_S),
        VISIT_KINDS,
    )
    before = read_last_events_before(sessions, since, AGENT_STATE_KINDS, reason)
    during = read_events(sessions, since, until, AGENT_STATE_KINDS, reason)
    return ReportData(
        records=records,
        queue_events=queue_events,
        agent_events=pd.concat([before, during], ignore_index=True),
        ring_no_answer=read_events(sessions, since, until, (RINGNOANSWER,)),
    )
