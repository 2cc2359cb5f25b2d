"""Columnar reads for reports through ADBC (`reporting.db_read`), on SQLite and PostgreSQL: they
read what `crm_core.record_bulk` reads, link each queue event to its call's record, answer the
queue-event query from the covering index, and a report made from them equals the report made
from the row-by-row reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from agent_ui.simulation import SimulationRequest
from agent_ui.simulation import _center as simulation_center
from config.center_file import sample_center_path
from crm_core.call_records import CallEventData, CallRecordData
from crm_core.db import make_sessionmaker
from crm_core.record_bulk import insert_events, insert_records, read_events, read_records
from reporting import db_read
from reporting.data import load_data
from reporting.db_read import ArrowReader, open_reader
from reporting.intervals import parse_interval
from reporting.report import ReportSpec, build_report
from reporting.visits import VISIT_KINDS

pytest.importorskip("adbc_driver_sqlite")
pytest.importorskip("adbc_driver_postgresql")

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CENTER = simulation_center(SimulationRequest(agents=2, center_file=sample_center_path()))
T0 = 1_767_574_800.0  # 2026-01-05 09:00 in Shanghai, the center's zone
HOUR = 3600.0
KPI_COLUMNS = ("call_id", "dnis", "queue", "agent_id", *db_read.RECORD_TIME_COLUMNS, "outcome")


def when(offset: float) -> datetime:
    return to_datetime(T0 + offset)


def record(call_id: str, arrived: float, **fields: object) -> CallRecordData:
    times = {k: T0 + v for k, v in fields.items() if k.endswith("_at") and v is not None}
    rest = {k: v for k, v in fields.items() if not k.endswith("_at")}
    return CallRecordData(
        call_id=call_id, direction="inbound", ani="+861", dnis="100", arrived_at=T0 + arrived,
        **times, **rest,
    )  # type: ignore[arg-type]  # fmt: skip


def sample(sessions: sessionmaker[Session]) -> None:
    """Two finished calls (one answered, one abandoned), one still waiting, agent events."""
    insert_records(
        sessions,
        [
            record("a", 0, queue="sales", agent_id="x", queued_at=1.5, answered_at=9.000001,
                   ended_at=99, wrap_up_ended_at=120, outcome="answered", ended_by="caller"),
            record("b", 5, queue="sales", queued_at=6, ended_at=40, outcome="abandoned"),
            record("ivr", 7, outcome="ivr"),
        ],
    )  # fmt: skip
    insert_events(
        sessions,
        [
            CallEventData(1, T0 - 60, "", "AGENTLOGIN", agent_id="x"),
            CallEventData(2, T0 + 1.5, "a", "ENTERQUEUE", "sales", data={"position": 1}),
            CallEventData(3, T0 + 6, "b", "ENTERQUEUE", "sales"),
            CallEventData(4, T0 + 9.000001, "a", "CONNECT", "sales", "x"),
            CallEventData(5, T0 + 40, "b", "ABANDON", "sales"),
            CallEventData(6, T0 + 50, "w", "ENTERQUEUE", "support"),
            CallEventData(7, T0 + 99, "a", "COMPLETECALLER", "sales", "x"),
        ],
    )


@contextmanager
def reader_on(sessions: sessionmaker[Session]) -> Iterator[ArrowReader]:
    with open_reader(sessions) as reader:
        assert reader is not None
        yield reader


def test_given_records_when_read_through_adbc_then_they_equal_the_row_reads(db_sessions):
    sample(db_sessions)
    with reader_on(db_sessions) as reader:
        fast = db_read.read_records(reader, when(-HOUR), when(HOUR), KPI_COLUMNS)
    slow = read_records(db_sessions, when(-HOUR), when(HOUR), KPI_COLUMNS)
    assert fast["call_id"].tolist() == ["a", "b", "ivr"]  # oldest first
    for name in KPI_COLUMNS:
        if name in db_read.RECORD_TIME_COLUMNS:
            np.testing.assert_allclose(fast[name], slow[name], rtol=0, atol=1e-6)
            assert fast[name].dtype == np.float64
        else:
            assert fast[name].astype(object).tolist() == slow[name].tolist(), name
    assert isinstance(fast["queue"].dtype, pd.CategoricalDtype)
    assert fast["queue"].tolist() == ["sales", "sales", ""]  # NULL reads as ""
    assert np.isnan(fast["queued_at"][2])
    assert fast["answered_at"][0] == pytest.approx(T0 + 9.000001, abs=1e-6)


def test_given_queue_events_when_read_then_each_knows_its_record(db_sessions):
    sample(db_sessions)
    with reader_on(db_sessions) as reader:
        records = db_read.read_records(reader, when(-HOUR), when(HOUR), KPI_COLUMNS)
        events = db_read.read_queue_events(reader, when(-HOUR), when(HOUR), VISIT_KINDS)
        frame = db_read.link_events(events, records).sort_values("seq")
    slow = read_events(db_sessions, when(-HOUR), when(HOUR), VISIT_KINDS)
    assert frame["seq"].tolist() == sorted(slow["seq"]) == [2, 3, 4, 5, 6]
    assert frame["kind"].astype(str).tolist() == [
        "ENTERQUEUE", "ENTERQUEUE", "CONNECT", "ABANDON", "ENTERQUEUE",
    ]  # fmt: skip
    assert frame["record"].tolist() == [0, 1, 0, 1, -1]  # "w" has no record yet
    assert list(frame.columns) == ["seq", "at", "call_id", "kind", "queue", "record"]
    assert frame["at"].to_numpy() == pytest.approx(T0 + np.array([1.5, 6, 9.000001, 40, 50]))


def test_given_an_empty_window_when_read_then_the_frames_are_empty_and_typed(db_sessions):
    sample(db_sessions)
    with reader_on(db_sessions) as reader:
        records = db_read.read_records(reader, when(10 * HOUR), when(11 * HOUR), KPI_COLUMNS)
        events = db_read.read_queue_events(reader, when(10 * HOUR), when(11 * HOUR), VISIT_KINDS)
        linked = db_read.link_events(events, records)
    assert list(records.columns) == list(KPI_COLUMNS)
    assert records.empty
    assert records["arrived_at"].dtype == np.float64
    assert linked.empty
    assert linked["seq"].dtype == np.int64
    assert linked["record"].dtype == np.int64


def test_given_a_window_whose_first_calls_lack_a_time_then_the_later_ones_still_read(db_sessions):
    # The driver types a column from its first rows: a NULL-only start must not break it.
    calls = [record(f"n{i}", i, outcome="ivr") for i in range(3000)]
    calls.append(record("late", 4000, queue="sales", queued_at=4001, outcome="abandoned"))
    insert_records(db_sessions, calls)
    with reader_on(db_sessions) as reader:
        frame = db_read.read_records(reader, when(-HOUR), when(2 * HOUR), KPI_COLUMNS)
    assert frame["queued_at"].isna().sum() == 3000
    assert frame["queued_at"].iloc[-1] == pytest.approx(T0 + 4001)


def test_a_report_read_through_adbc_equals_one_read_row_by_row(db_sessions, monkeypatch):
    sample(db_sessions)
    spec = ReportSpec(start=T0, end=T0 + HOUR, interval=parse_interval("30m"), by=("queue",))
    fast = build_report(load_data(db_sessions, spec.start, spec.end), CENTER, spec)
    monkeypatch.setattr(db_read, "_driver", lambda dialect: None)
    slow = build_report(load_data(db_sessions, spec.start, spec.end), CENTER, spec)
    pd.testing.assert_frame_equal(fast.by_queue, slow.by_queue)
    pd.testing.assert_frame_equal(fast.by_interval, slow.by_interval)
    pd.testing.assert_frame_equal(fast.by_agent, slow.by_agent)
    assert fast.summary == pytest.approx(slow.summary, nan_ok=True)
    assert fast.summary["offered"] == 3
    assert fast.summary["still_waiting"] == 1
    assert fast.detail["call_id"].tolist() == slow.detail["call_id"].tolist()


def test_an_in_memory_sqlite_database_is_read_row_by_row():
    engine = create_engine("sqlite://")
    try:
        with open_reader(make_sessionmaker(engine)) as reader:
            assert reader is None
    finally:
        engine.dispose()


def test_the_queue_event_query_is_answered_from_the_covering_index(sqlite_sessions):
    with reader_on(sqlite_sessions) as reader:
        sql = db_read.queue_event_sql(reader, VISIT_KINDS).replace("?", "''")
        plan = reader.fetch(f"EXPLAIN QUERY PLAN {sql}", []).column("detail").to_pylist()
    assert any("COVERING INDEX ix_call_events_queue_report" in step for step in plan), plan


def test_given_agent_events_when_read_then_they_equal_the_row_reads(db_sessions):
    sample(db_sessions)
    insert_events(
        db_sessions,
        [
            CallEventData(8, T0 + 100, "", "PAUSE", agent_id="x", data={"reason": "lunch"}),
            CallEventData(9, T0 + 200, "", "UNPAUSE", agent_id="x"),
            CallEventData(10, T0 + 300, "", "PAUSE", agent_id="y", data={"reason": 5}),
        ],
    )
    kinds = ("AGENTLOGIN", "AGENTLOGOFF", "PAUSE", "UNPAUSE")
    with reader_on(db_sessions) as reader:
        fast = db_read.read_agent_events(reader, when(-HOUR), when(HOUR), kinds)
        last = db_read.read_last_agent_events(reader, when(150), kinds)
    slow = read_events(db_sessions, when(-HOUR), when(HOUR), kinds, ("reason",))
    for name in ("seq", "call_id", "kind", "queue", "agent_id", "data_reason"):
        assert fast[name].tolist() == slow[name].tolist(), name
    np.testing.assert_allclose(fast["at"], slow["at"], rtol=0, atol=1e-6)
    by_seq = fast.sort_values("seq")
    assert by_seq["data_reason"].tolist() == ["", "lunch", "", "5"]
    assert sorted(zip(last["agent_id"], last["kind"], last["data_reason"], strict=True)) == [
        ("x", "PAUSE", "lunch")
    ]


def test_given_records_stored_out_of_arrival_order_when_read_then_none_is_missed(db_sessions):
    # The SQLite reader walks a range of ids when the window's records sit close together.
    late = [record(f"late{i}", 1000 + i, outcome="ivr") for i in range(50)]
    early = [record(f"early{i}", i, outcome="ivr") for i in range(50)]
    insert_records(db_sessions, [*late, *early, record("before", -2 * HOUR, outcome="ivr")])
    with reader_on(db_sessions) as reader:
        inside = db_read.read_records(reader, when(0), when(HOUR), KPI_COLUMNS)
        early_only = db_read.read_records(reader, when(0), when(500), KPI_COLUMNS)
    assert sorted(inside["call_id"]) == sorted(r.call_id for r in [*late, *early])
    assert sorted(early_only["call_id"]) == sorted(r.call_id for r in early)


def test_kinds_that_are_not_plain_names_are_refused(sqlite_sessions):
    with reader_on(sqlite_sessions) as reader, pytest.raises(ValueError, match="not an event"):
        db_read.read_queue_events(reader, when(0), when(1), ["ENTERQUEUE') OR ('1"])
