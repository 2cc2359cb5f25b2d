"""Bulk writes and columnar reads of call records and call events, for big data sets (reports,
benchmarks, imports).

`crm_core.record_store` writes one call per transaction and reads rows as dataclasses: right for the
live call path, too slow for a million calls. Here:

- writes are SQLAlchemy Core `insert()` executemany, `chunk_size` rows per transaction, through the
  tables' own column types (so times are stored exactly as `record_store` stores them);
- reads are one SELECT per table, with every timestamp turned into float epoch seconds *in SQL*
  (SQLite: `strftime('%s')` plus the stored microseconds; PostgreSQL: `EXTRACT(EPOCH ...)`),
  straight into pandas columns from the DBAPI cursor's tuples: times as float64 epoch seconds
  (NaN where missing), text as Python strings ("" where missing, as `record_store` reads NULL
  text back).

Every function takes the same `sessionmaker` as `record_store` and aware datetimes for windows.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Double, Select, String, cast, extract, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from acd.clock import to_datetime
from crm_core.call_records import CallEventData, CallRecordData
from crm_core.models import CallEvent, CallRecord

DEFAULT_CHUNK_SIZE = 20_000
FETCH_ROWS = 100_000
# SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"; the fraction starts at this (1-based) character.
_SQLITE_FRACTION_AT = 20

RECORD_TIME_COLUMNS = ("arrived_at", "queued_at", "answered_at", "ended_at", "wrap_up_ended_at")
RECORD_COLUMNS = (
    "call_id",
    "direction",
    "ani",
    "dnis",
    "queue",
    "agent_id",
    *RECORD_TIME_COLUMNS,
    "outcome",
    "ended_by",
)
# What the figures need; the rest (direction, caller, who hung up) only shows in a call listing.
RECORD_KPI_COLUMNS = ("call_id", "dnis", "queue", "agent_id", *RECORD_TIME_COLUMNS, "outcome")
EVENT_COLUMNS = ("seq", "at", "call_id", "kind", "queue", "agent_id")


# --- writing -------------------------------------------------------------------------------------


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    if size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {size}")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _when(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else to_datetime(epoch_s)


def _record_values(record: CallRecordData) -> dict[str, Any]:
    values: dict[str, Any] = {
        "call_id": record.call_id,
        "direction": record.direction,
        "ani": record.ani,
        "dnis": record.dnis,
        "queue": record.queue,
        "agent_id": record.agent_id,
        "outcome": record.outcome,
        "ended_by": record.ended_by,
    }
    for name in RECORD_TIME_COLUMNS:
        values[name] = _when(getattr(record, name))
    return values


def _event_values(event: CallEventData) -> dict[str, Any]:
    try:
        json.dumps(event.data)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"call event seq={event.seq} kind={event.kind}: data is not JSON-serialisable ({exc})"
        ) from exc
    return {
        "seq": event.seq,
        "at": to_datetime(event.at),
        "call_id": event.call_id or None,
        "kind": event.kind,
        "queue": event.queue or None,
        "agent_id": event.agent_id or None,
        "data": dict(event.data),
    }


def insert_records(
    sessions: sessionmaker[Session],
    records: Iterable[CallRecordData],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Insert call records, `chunk_size` per transaction; how many were written.

    Meant for loads into a database that does not hold these calls yet: a call_id already stored
    fails the chunk it is in (earlier chunks stay written).
    """
    return _insert(sessions, CallRecord, map(_record_values, records), chunk_size)


def insert_events(
    sessions: sessionmaker[Session],
    events: Iterable[CallEventData],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Insert call events in the order given, `chunk_size` per transaction; how many."""
    return _insert(sessions, CallEvent, map(_event_values, events), chunk_size)


def _insert(
    sessions: sessionmaker[Session],
    model: type[CallRecord] | type[CallEvent],
    rows: Iterable[dict[str, Any]],
    chunk_size: int,
) -> int:
    table = model.__table__
    written = 0
    for chunk in _chunks(rows, chunk_size):
        with sessions.begin() as session:
            session.connection().execute(table.insert(), chunk)
        written += len(chunk)
    return written


class BulkRecordSink:
    """A `RecordSink` that buffers and writes in chunks (simulations feeding a big database).

    Call `flush()` at the end (or use it as a context manager): until then the last partial chunk
    is only in memory. `next_seq` is the seq after the highest event seen, where a call log
    writing to the same database resumes.
    """

    def __init__(
        self, sessions: sessionmaker[Session], chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        self._sessions = sessions
        self._chunk_size = chunk_size
        self._records: list[CallRecordData] = []
        self._events: list[CallEventData] = []
        self.records_written = 0
        self.events_written = 0
        self.next_seq = 1

    def write_events(self, events: list[CallEventData]) -> None:
        """Buffer events; write a chunk when enough are waiting."""
        self._events.extend(events)
        if events:
            self.next_seq = max(self.next_seq, max(e.seq for e in events) + 1)
        if len(self._events) >= self._chunk_size:
            self._flush_events()

    def write_record(self, record: CallRecordData) -> None:
        """Buffer a record; write a chunk when enough are waiting."""
        self._records.append(record)
        if len(self._records) >= self._chunk_size:
            self._flush_records()

    def flush(self) -> None:
        """Write everything still buffered."""
        self._flush_events()
        self._flush_records()

    def _flush_events(self) -> None:
        events, self._events = self._events, []
        self.events_written += insert_events(self._sessions, events, self._chunk_size)

    def _flush_records(self) -> None:
        records, self._records = self._records, []
        self.records_written += insert_records(self._sessions, records, self._chunk_size)

    def __enter__(self) -> BulkRecordSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:
            self.flush()


# --- reading -------------------------------------------------------------------------------------


def _require_aware(*times: datetime) -> None:
    for t in times:
        if t.tzinfo is None:
            raise ValueError(f"naive datetime {t!r}: pass an aware (UTC) datetime")


def _epoch(column: InstrumentedAttribute[Any], dialect: str) -> ColumnElement[float]:
    """SQL for a timestamp column as float epoch seconds (NULL stays NULL)."""
    if dialect == "sqlite":
        whole = cast(func.strftime("%s", column), Double)
        fraction = cast(func.substr(column, _SQLITE_FRACTION_AT), Double)
        return (whole + fraction).label(column.key)
    if dialect == "postgresql":
        return cast(extract("epoch", column), Double).label(column.key)
    raise ValueError(f"columnar reads support SQLite and PostgreSQL, not {dialect!r}")


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: millions of new row tuples would otherwise set it off
    again and again, scanning every object each time (tuples of strings and floats hold no
    cycles, so nothing is lost by waiting)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _frame(
    session: Session, query: Select[Any], names: Sequence[str], times: Collection[str]
) -> pd.DataFrame:
    """Run `query` and turn its rows into typed columns, a chunk of rows at a time (so the
    driver's tuples never all live at once), from the DBAPI cursor (no ORM rows). Columns named
    in `times` become float64 (NULL: NaN); the others text (NULL: "")."""
    result = session.connection().execute(query)
    cursor = result.cursor  # plain DBAPI tuples: no per-row processing is needed here
    parts: list[np.ndarray] = []
    with _no_cyclic_gc():
        while rows := cursor.fetchmany(FETCH_ROWS):
            parts.append(np.array(rows, dtype=object))
    result.close()
    table = np.concatenate(parts) if parts else np.empty((0, len(names)), dtype=object)
    del parts
    columns: dict[str, Any] = {}
    for i, name in enumerate(names):
        if name in times:
            columns[name] = table[:, i].astype(np.float64)  # None becomes NaN
        else:
            text = np.array(table[:, i], dtype=object)
            text[pd.isna(text)] = ""
            columns[name] = pd.Series(text, dtype=object, copy=False)
    return pd.DataFrame(columns, copy=False)


def read_records(
    sessions: sessionmaker[Session],
    start: datetime,
    end: datetime,
    columns: Sequence[str] = RECORD_COLUMNS,
) -> pd.DataFrame:
    """Records of calls that arrived in [start, end), in storage order, with the given columns
    (all by default; `RECORD_KPI_COLUMNS` leaves out what only a per-call listing shows)."""
    _require_aware(start, end)
    unknown = set(columns) - set(RECORD_COLUMNS)
    if unknown:
        raise ValueError(f"unknown record column(s) {', '.join(sorted(unknown))}")
    with sessions() as session:
        dialect = session.get_bind().dialect.name
        selected = [
            _epoch(getattr(CallRecord, name), dialect)
            if name in RECORD_TIME_COLUMNS
            else getattr(CallRecord, name)
            for name in columns
        ]
        query = select(*selected).where(CallRecord.arrived_at >= start, CallRecord.arrived_at < end)
        return _frame(session, query, columns, RECORD_TIME_COLUMNS)


def read_events(
    sessions: sessionmaker[Session],
    start: datetime,
    end: datetime,
    kinds: Collection[str],
    data_keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Events of the given kinds with `at` in [start, end), in storage order (sort by `seq`
    where the order matters: sorting a million rows in pandas is cheaper than in SQLite).

    Columns: seq (int64), at (epoch s), call_id, kind, queue, agent_id, and one text column per
    `data_keys` entry, named `data_<key>`, from the event's JSON data ("" where absent).
    """
    _require_aware(start, end)
    with sessions() as session:
        query = _event_query(session, kinds, data_keys).where(
            CallEvent.at >= start, CallEvent.at < end
        )
        frame = _frame(session, query, _event_names(data_keys), ("at",))
    return _typed_events(frame)


def read_last_events_before(
    sessions: sessionmaker[Session],
    before: datetime,
    kinds: Collection[str],
    data_keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Per agent, the last event of the given kinds before `before` (the state it was left in).

    Same columns as `read_events`; one row per agent that has such an event.
    """
    _require_aware(before)
    with sessions() as session:
        last = (
            select(func.max(CallEvent.seq).label("seq"))
            .where(CallEvent.kind.in_(list(kinds)), CallEvent.at < before)
            .where(CallEvent.agent_id.is_not(None))
            .group_by(CallEvent.agent_id)
        )
        query = _event_query(session, kinds, data_keys).where(CallEvent.seq.in_(last))
        frame = _frame(session, query, _event_names(data_keys), ("at",))
    return _typed_events(frame)


def _event_names(data_keys: Sequence[str]) -> list[str]:
    return [*EVENT_COLUMNS, *(f"data_{key}" for key in data_keys)]


def _event_query(session: Session, kinds: Collection[str], data_keys: Sequence[str]) -> Select[Any]:
    dialect = session.get_bind().dialect.name
    data = [cast(CallEvent.data[key].as_string(), String) for key in data_keys]
    return select(
        CallEvent.seq,
        _epoch(CallEvent.at, dialect),
        CallEvent.call_id,
        CallEvent.kind,
        CallEvent.queue,
        CallEvent.agent_id,
        *data,
    ).where(CallEvent.kind.in_(list(kinds)))


def _typed_events(frame: pd.DataFrame) -> pd.DataFrame:
    frame["seq"] = frame["seq"].to_numpy().astype(np.int64)
    return frame


__all__: Sequence[str] = (
    "DEFAULT_CHUNK_SIZE",
    "EVENT_COLUMNS",
    "RECORD_COLUMNS",
    "RECORD_KPI_COLUMNS",
    "BulkRecordSink",
    "insert_events",
    "insert_records",
    "read_events",
    "read_last_events_before",
    "read_records",
)
