"""Fast columnar reads of the two big inputs of a report, call records and queue events, straight
from the database into Arrow arrays (ADBC: `adbc-driver-sqlite`, `adbc-driver-postgresql`), then
into lean pandas columns: times as float64 epoch seconds (NaN when missing), repeated text (queue,
agent, kind, outcome...) as categoricals, call ids as Arrow-backed strings. No Python object is
made per row or per value: a million calls read in seconds instead of tens of seconds.

Each queue event also gets `record`: the position of its call's record in the records read (-1
when there is none: the call is still in progress, or arrived before the records' window), so the
report joins visits to records by integer position instead of by call id.

`open_reader` returns None when ADBC is not installed or the database cannot be opened a second
time (an in-memory SQLite); `reporting.data` then reads with `crm_core.record_bulk` instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from crm_core.db import SQLITE_BUSY_TIMEOUT_MS
from crm_core.models import CallEvent, CallRecord

RECORD_TIME_COLUMNS = ("arrived_at", "queued_at", "answered_at", "ended_at", "wrap_up_ended_at")
# Text columns with few distinct values: categoricals (a code per row, each text stored once).
CATEGORY_COLUMNS = frozenset(
    {"direction", "dnis", "queue", "agent_id", "outcome", "ended_by", "kind"}
)
QUEUE_EVENT_COLUMNS = ("seq", "at", "call_id", "kind", "queue")
AGENT_EVENT_COLUMNS = ("seq", "at", "call_id", "kind", "queue", "agent_id", "data_reason")
# How SQLAlchemy stores a datetime in SQLite (UTC, always with microseconds): windows are bound as
# text in the same form, so text order is time order.
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_NULL_TIME = "0001-01-01 00:00:00.000000"
_NULL_TIME_MICROS = -62_135_596_800_000_000  # SQLITE_NULL_TIME in microseconds since 1970
# Read a range of record ids when it holds at most this many times the records wanted.
ID_RANGE_SLACK = 2
_DRIVERS = {"sqlite": "adbc_driver_sqlite.dbapi", "postgresql": "adbc_driver_postgresql.dbapi"}
_IN_MEMORY = ("", ":memory:")
_MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class ArrowReader:
    """An open ADBC connection and its dialect ('sqlite' or 'postgresql')."""

    connection: Any
    dialect: str

    def fetch(self, sql: str, parameters: Sequence[Any]) -> Any:
        """The rows of `sql` as one Arrow table."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, list(parameters))
            return cursor.fetch_arrow_table()
        finally:
            cursor.close()


def adbc_target(url: URL) -> tuple[str, str] | None:
    """(dialect, ADBC connection string) for a database a second connection can open, or None."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database in _IN_MEMORY or url.query.get("mode") == "memory":
            return None
        return backend, database
    if backend == "postgresql":
        return backend, url.set(drivername="postgresql").render_as_string(hide_password=False)
    return None


@contextmanager
def open_reader(sessions: sessionmaker[Session]) -> Iterator[ArrowReader | None]:
    """An ADBC reader on the sessions' database, or None where ADBC cannot be used."""
    bind = sessions.kw.get("bind")
    target = adbc_target(bind.url) if bind is not None else None
    module = _driver(target[0]) if target else None
    if target is None or module is None:
        yield None
        return
    connection = module.connect(target[1])
    try:
        reader = ArrowReader(connection, target[0])
        if reader.dialect == "sqlite":
            # As the application's own connections do: wait for a writer (or another reader
            # opening the log) instead of failing at once with "database is locked".
            reader.fetch(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}", [])
        yield reader
    finally:
        connection.close()


def _load_drivers() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for dialect, name in _DRIVERS.items():
        try:
            found[dialect] = importlib.import_module(name)
        except ImportError:  # optional: without it, reports read row by row
            continue
    return found


# Imported once, with the module: a report then pays only for its queries.
_DRIVER_MODULES = _load_drivers()


def _driver(dialect: str) -> Any | None:
    return _DRIVER_MODULES.get(dialect)


def _window(reader: ArrowReader, start: datetime, end: datetime) -> list[Any]:
    if reader.dialect == "sqlite":
        return [t.astimezone(UTC).strftime(SQLITE_TIME_FORMAT) for t in (start, end)]
    return [start.astimezone(UTC), end.astimezone(UTC)]


def _placeholders(reader: ArrowReader, count: int) -> list[str]:
    if reader.dialect == "sqlite":
        return ["?"] * count
    return [f"${i}" for i in range(1, count + 1)]


def _selected(reader: ArrowReader, name: str, times: Collection[str]) -> str:
    # NULL text comes back as "" (as record_store reads it). SQLite's driver types a column from
    # its first rows and would refuse text after a NULL-only start: there NULL times come back
    # as a date no call has (see `_epoch_seconds`).
    if name == "seq" or (name in times and reader.dialect != "sqlite"):
        return name
    if name in times:
        return f"COALESCE({name}, '{SQLITE_NULL_TIME}') AS {name}"
    if name == "data_reason":
        sqlite = reader.dialect == "sqlite"
        reason = "json_extract(data, '$.reason')" if sqlite else "data->>'reason'"
        return f"COALESCE(CAST({reason} AS TEXT), '') AS {name}"
    return f"COALESCE({name}, '') AS {name}"


def read_records(
    reader: ArrowReader, start: datetime, end: datetime, columns: Sequence[str]
) -> pd.DataFrame:
    """Records of calls that arrived in [start, end), in storage order, with the given columns."""
    selected = ", ".join(_selected(reader, n, RECORD_TIME_COLUMNS) for n in columns)
    lo, hi = _placeholders(reader, 2)
    window = _window(reader, start, end)
    sql = (
        f"SELECT {selected} FROM {CallRecord.__tablename__} "
        f"WHERE arrived_at >= {lo} AND arrived_at < {hi}{_id_range(reader, window)}"
    )
    return _frame(reader.fetch(sql, window), columns, RECORD_TIME_COLUMNS)


def _id_range(reader: ArrowReader, window: list[Any]) -> str:
    """SQLite: the ids the window's records lie between, when that range holds few others.

    Records are stored about in arrival order: reading a range of ids is a plain walk through
    the table, where following the arrival index would look each row up on its own.
    """
    if reader.dialect != "sqlite":
        return ""  # PostgreSQL's planner weighs this itself
    sql = (
        f"SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM {CallRecord.__tablename__} "
        "WHERE arrived_at >= ? AND arrived_at < ?"
    )
    lo, hi, count = (reader.fetch(sql, window).column(i)[0].as_py() for i in range(3))
    if not count or hi - lo + 1 > ID_RANGE_SLACK * count:
        return ""
    return f" AND id BETWEEN {int(lo)} AND {int(hi)}"


def queue_event_sql(reader: ArrowReader, kinds: Sequence[str]) -> str:
    """The query for queue events of `kinds` in a window: it reads only the columns of the
    covering index `ix_call_events_queue_report`, whose kinds it names in the same order."""
    return _event_sql(reader, kinds, QUEUE_EVENT_COLUMNS) + f" AND at >= {_range(reader)}"


def _range(reader: ArrowReader) -> str:
    lo, hi = _placeholders(reader, 2)
    return f"{lo} AND at < {hi}"


def _event_sql(reader: ArrowReader, kinds: Sequence[str], columns: Sequence[str]) -> str:
    selected = ", ".join(_selected(reader, n, ("at",)) for n in columns)
    return f"SELECT {selected} FROM {CallEvent.__tablename__} WHERE kind IN ({_listed(kinds)})"


def _listed(kinds: Sequence[str]) -> str:
    """Event kinds as SQL literals (they are Hotline's own constants, never user input)."""
    if any("'" in kind for kind in kinds):
        raise ValueError(f"not an event kind: {kinds!r}")
    return ", ".join(f"'{kind}'" for kind in kinds)


def read_queue_events(
    reader: ArrowReader, start: datetime, end: datetime, kinds: Sequence[str]
) -> Any:
    """Events of `kinds` with `at` in [start, end), as an Arrow table (see `link_events`)."""
    return reader.fetch(queue_event_sql(reader, kinds), _window(reader, start, end))


def link_events(events: Any, records: pd.DataFrame) -> pd.DataFrame:
    """Arrow queue events as a frame, each with `record`: its call's position in `records`."""
    import pyarrow as pa  # installed with the ADBC drivers, the only source of Arrow tables
    import pyarrow.compute as pc

    frame = _frame(events, QUEUE_EVENT_COLUMNS, ("at",))
    if len(records) == 0 or events.num_rows == 0:
        frame["record"] = np.full(len(frame), -1, dtype=np.int64)
        return frame
    ids = pa.array(records["call_id"].array)  # Arrow-backed already: no copy
    positions = pc.index_in(events.column("call_id"), value_set=ids)
    frame["record"] = pc.fill_null(positions, -1).to_numpy().astype(np.int64)
    return frame


def read_agent_events(
    reader: ArrowReader, start: datetime, end: datetime, kinds: Sequence[str]
) -> pd.DataFrame:
    """Agent events of `kinds` with `at` in [start, end), with `data_reason` (a PAUSE's)."""
    sql = _event_sql(reader, kinds, AGENT_EVENT_COLUMNS) + f" AND at >= {_range(reader)}"
    return _plain(_frame(reader.fetch(sql, _window(reader, start, end)), AGENT_EVENT_COLUMNS))


def read_last_agent_events(
    reader: ArrowReader, before: datetime, kinds: Sequence[str]
) -> pd.DataFrame:
    """Per agent, its last event of `kinds` before `before` (the state it was left in)."""
    (mark,) = _placeholders(reader, 1)
    last = (
        f"SELECT max(seq) FROM {CallEvent.__tablename__} WHERE kind IN ({_listed(kinds)}) "
        f"AND at < {mark} AND agent_id IS NOT NULL GROUP BY agent_id"
    )
    sql = _event_sql(reader, kinds, AGENT_EVENT_COLUMNS) + f" AND seq IN ({last})"
    table = reader.fetch(sql, _window(reader, before, before)[:1])
    return _plain(_frame(table, AGENT_EVENT_COLUMNS))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Agent events as `crm_core.record_bulk` reads them: text as plain strings."""
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(str)
    return frame


def _frame(table: Any, names: Sequence[str], times: Collection[str] = ("at",)) -> pd.DataFrame:
    """Arrow columns as pandas ones: `times` as epoch seconds, text per `CATEGORY_COLUMNS`."""
    columns: dict[str, Any] = {}
    for name in names:
        if table.num_rows == 0:
            columns[name] = _empty(name, times)
            continue
        column = table.column(name)
        if name in times:
            columns[name] = _epoch_seconds(column)
        elif name == "seq":
            columns[name] = column.to_numpy().astype(np.int64)
        elif name in CATEGORY_COLUMNS:
            columns[name] = column.dictionary_encode().to_pandas().array
        else:
            columns[name] = column.to_pandas().array
    return pd.DataFrame(columns, copy=False)


def _empty(name: str, times: Collection[str]) -> Any:
    if name in times:
        return np.zeros(0, dtype=np.float64)
    if name == "seq":
        return np.zeros(0, dtype=np.int64)
    if name in CATEGORY_COLUMNS:
        return pd.Categorical([])
    return pd.array([], dtype=str)


def _epoch_seconds(column: Any) -> np.ndarray:
    """Timestamps (PostgreSQL) or SQLite's stored text as float epoch seconds (NaN for NULL)."""
    import pyarrow as pa

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        micros = column.cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
        seconds = micros / float(_MICROS)
        seconds[micros == _NULL_TIME_MICROS] = np.nan
        return np.asarray(seconds, dtype=np.float64)
    micros = column.cast(pa.timestamp("us", tz=column.type.tz)).cast(pa.int64())
    return np.asarray(micros.to_numpy(zero_copy_only=False), dtype=np.float64) / float(_MICROS)
