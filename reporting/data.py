"""What a report is computed from: call records and call events as pandas frames, loaded from the
database (columnar with `reporting.db_read` where ADBC can be used, else row by row with
`crm_core.record_bulk`) or built from in-memory lists (simulations, tests).

Frames (times are float epoch seconds, NaN when missing; text is "" when missing):

- records: one row per finished call, the columns of `crm_core.record_bulk.RECORD_COLUMNS`, plus
  `campaign` once calls carry one (the dialer is not built yet, so no loader adds it);
- queue_events: ENTERQUEUE, CONNECT, ABANDON, EXIT*: seq, at, call_id, kind, queue, and
  `record`, the position of the call's record in `records` (-1 when it has none);
- agent_events: AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE, with `data_reason` (a PAUSE's reason);
- ring_no_answer: RINGNOANSWER events: seq, at, call_id, kind, queue, agent_id (the agent
  frames have plain text columns).

Repeated text (queue, agent, kind, outcome, DNIS...: `reporting.db_read.CATEGORY_COLUMNS`) is
categorical in `records` and `queue_events`, however they were made.

`records` may hold calls that arrived shortly before the window (see `RECORD_LOOKBACK_S`): the
report counts calls by arrival, and uses the others only to know which queued calls have finished
(a queued call without a record is still in progress).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
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
from reporting import db_read
from reporting.agents import AGENT_STATE_KINDS, RINGNOANSWER
from reporting.db_read import CATEGORY_COLUMNS
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
    return lean(pd.DataFrame(columns))


def lean(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its repeated-text columns (`CATEGORY_COLUMNS`) made categorical."""
    for name in CATEGORY_COLUMNS.intersection(frame.columns):
        if not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
    return frame


def linked(queue_events: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Queue events with `record`: the position of each one's call record (-1 when none)."""
    ids = pd.Index(records["call_id"].to_numpy(dtype=object))
    events = queue_events.copy(deep=False)
    events["record"] = ids.get_indexer(events["call_id"].to_numpy(dtype=object)).astype(np.int64)
    return events


def data_from_lists(
    records: Sequence[CallRecordData], events: Sequence[CallEventData]
) -> ReportData:
    """Report data from in-memory records and events (everything; the report picks its window)."""
    frame = records_frame(records)
    queue_events = _event_frame([e for e in events if e.kind in VISIT_KINDS])
    queue_events = lean(queue_events.drop(columns="agent_id"))
    return ReportData(
        records=frame,
        queue_events=linked(queue_events, frame),
        agent_events=_event_frame([e for e in events if e.kind in AGENT_STATE_KINDS], True),
        ring_no_answer=_event_frame([e for e in events if e.kind == RINGNOANSWER]),
    )


def load_data(
    sessions: sessionmaker[Session],
    start: float,
    end: float,
    *,
    with_detail: bool = True,
    live: bool = False,
) -> ReportData:
    """Report data for the window [start, end) from the database (see the module docstring):
    columnar through ADBC where it can be used (`reporting.db_read`), else row by row.

    Without `with_detail` the records lack the columns only the per-call Detail shows
    (direction, caller, who hung up): the figures are the same, read faster. `live` is for a
    window that is still running (today so far): it is read row by row, because the columnar
    reader links queue events to call records, and calls still in progress have none yet.
    """
    if not end > start:
        raise ValueError(f"the report window must end after it starts ({start} .. {end})")
    columns = RECORD_COLUMNS if with_detail else RECORD_KPI_COLUMNS
    window = _Window(start, end)
    if not live:
        with db_read.open_reader(sessions) as reader:
            if reader is not None:
                return _columnar(sessions, reader, window, columns)
    return _rows(sessions, window, columns)


@dataclass(frozen=True, slots=True)
class _Window:
    """What is read for a report of [start, end): records from `RECORD_LOOKBACK_S` before it,
    queue events within `VISIT_MARGIN_S` of it, agent events inside it."""

    start: float
    end: float

    @property
    def records(self) -> tuple[datetime, datetime]:
        """Arrival times of the records read."""
        return to_datetime(self.start - RECORD_LOOKBACK_S), to_datetime(self.end)

    @property
    def queue_events(self) -> tuple[datetime, datetime]:
        """Times of the queue events read."""
        return to_datetime(self.start - VISIT_MARGIN_S), to_datetime(self.end + VISIT_MARGIN_S)

    @property
    def agent_events(self) -> tuple[datetime, datetime]:
        """Times of the agent events read (and the one before, per agent)."""
        return to_datetime(self.start), to_datetime(self.end)


def _columnar(
    sessions: sessionmaker[Session],
    reader: db_read.ArrowReader,
    window: _Window,
    columns: Sequence[str],
) -> ReportData:
    # Records and events come from different tables: read them at once, on two connections
    # (the drivers let go of Python's lock while they fetch).
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(_records_apart, sessions, window, columns)
        events = db_read.read_queue_events(reader, *window.queue_events, VISIT_KINDS)
        records = reading.result()
    since, until = window.agent_events
    before = db_read.read_last_agent_events(reader, since, AGENT_STATE_KINDS)
    during = db_read.read_agent_events(reader, since, until, AGENT_STATE_KINDS)
    return ReportData(
        records=records,
        queue_events=db_read.link_events(events, records),
        agent_events=pd.concat([before, during], ignore_index=True),
        ring_no_answer=db_read.read_agent_events(reader, since, until, (RINGNOANSWER,)),
    )


def _records_apart(
    sessions: sessionmaker[Session], window: _Window, columns: Sequence[str]
) -> pd.DataFrame:
    with db_read.open_reader(sessions) as reader:
        if reader is None:  # cannot happen: the caller has just opened one
            raise RuntimeError("the database could not be opened a second time")
        return db_read.read_records(reader, *window.records, columns)


def _rows(sessions: sessionmaker[Session], window: _Window, columns: Sequence[str]) -> ReportData:
    records = lean(read_records(sessions, *window.records, columns))
    events = read_events(sessions, *window.queue_events, VISIT_KINDS).drop(columns="agent_id")
    since, until = window.agent_events
    reason = ("reason",)
    before = read_last_events_before(sessions, since, AGENT_STATE_KINDS, reason)
    during = read_events(sessions, since, until, AGENT_STATE_KINDS, reason)
    return ReportData(
        records=records,
        queue_events=linked(lean(events), records),
        agent_events=pd.concat([before, during], ignore_index=True),
        ring_no_answer=read_events(sessions, since, until, (RINGNOANSWER,)),
    )
