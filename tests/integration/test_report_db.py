"""Bulk writes and columnar reads of call records and events, and reports read from the database,
on SQLite and PostgreSQL: what the bulk writer stores reads back as `record_store` reads it, and a
report from the database equals the report from the same records in memory."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import VirtualClock, run_virtual, to_datetime
from agent_ui.simulation import SimulationRequest
from agent_ui.simulation import _center as simulation_center
from config.center_file import sample_center_path
from crm_core.call_records import CallEventData, CallRecordData, MemorySink
from crm_core.record_bulk import (
    BulkRecordSink,
    insert_events,
    insert_records,
    read_events,
    read_last_events_before,
    read_records,
)
from crm_core.record_store import SqlRecordSink, load_events, load_records, same_record
from reporting.data import data_from_lists, load_data
from reporting.intervals import parse_interval
from reporting.report import ReportSpec, build_report
from telephony.sim.behaviour import AgentBehaviour, CallerBehaviour, Duration, SimulationProfile
from telephony.sim.center import SimulatedCenter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

T0 = 1_767_574_800.123456  # 2026-01-05 09:00:00.123456 in Shanghai
CENTER = simulation_center(SimulationRequest(agents=5, center_file=sample_center_path()))
DAY_START = datetime(2026, 1, 5, tzinfo=ZoneInfo(CENTER.center.timezone)).timestamp()


def record(call_id: str, arrived: float, **fields: object) -> CallRecordData:
    return CallRecordData(
        call_id=call_id, direction="inbound", ani="+861", dnis="100", arrived_at=arrived, **fields
    )  # type: ignore[arg-type]


def window(start: float = T0 - 3600, end: float = T0 + 86400) -> tuple[datetime, datetime]:
    return to_datetime(start), to_datetime(end)


def test_bulk_records_read_back_like_record_store(db_sessions: sessionmaker[Session]):
    records = [
        record("a", T0, queue="sales", agent_id="1001", queued_at=T0 + 1.5, answered_at=T0 + 9,
               ended_at=T0 + 99.000001, wrap_up_ended_at=T0 + 120, outcome="answered",
               ended_by="caller"),
        record("b", T0 + 5, outcome="ivr"),
    ]  # fmt: skip
    assert insert_records(db_sessions, records, chunk_size=1) == 2
    stored = load_records(db_sessions, *window())
    assert [same_record(x, y) for x, y in zip(stored, records, strict=True)] == [True, True]
    frame = read_records(db_sessions, *window())
    assert frame["call_id"].tolist() == ["a", "b"]
    assert frame["answered_at"][0] == pytest.approx(T0 + 9, abs=1e-6)
    assert frame["ended_at"][0] == pytest.approx(T0 + 99.000001, abs=1e-6)
    assert np.isnan(frame["queued_at"][1])
    assert frame["queue"][1] == ""
    assert frame["ended_by"][1] == ""
    assert frame["arrived_at"].dtype == np.float64


def test_bulk_events_read_back_in_seq_order_with_data_fields(db_sessions):
    events = [
        CallEventData(1, T0, "", "AGENTLOGIN", agent_id="1001"),
        CallEventData(2, T0 + 1, "c", "ENTERQUEUE", "sales", data={"position": 1}),
        CallEventData(3, T0 + 2, "", "PAUSE", agent_id="1001", data={"reason": "lunch"}),
        CallEventData(4, T0 + 3, "c", "CONNECT", "sales", "1002", {"wait_s": 2.0}),
    ]
    assert insert_events(db_sessions, events) == 4
    assert load_events(db_sessions) == events
    frame = read_events(
        db_sessions, *window(), kinds=("PAUSE", "AGENTLOGIN"), data_keys=("reason",)
    )
    assert frame["kind"].tolist() == ["AGENTLOGIN", "PAUSE"]
    assert frame["data_reason"].tolist() == ["", "lunch"]
    assert frame["call_id"].tolist() == ["", ""]
    assert frame["seq"].dtype == np.int64
    queue = read_events(db_sessions, *window(T0 + 0.5, T0 + 2.5), kinds=("ENTERQUEUE", "CONNECT"))
    assert queue["kind"].tolist() == ["ENTERQUEUE"]
    assert queue["at"][0] == pytest.approx(T0 + 1, abs=1e-6)


def test_last_agent_event_before_a_time_per_agent(db_sessions):
    insert_events(
        db_sessions,
        [
            CallEventData(1, T0, "", "AGENTLOGIN", agent_id="x"),
            CallEventData(2, T0 + 10, "", "PAUSE", agent_id="x", data={"reason": "break"}),
            CallEventData(3, T0 + 20, "", "AGENTLOGIN", agent_id="y"),
            CallEventData(4, T0 + 30, "c", "ENTERQUEUE", "sales"),
            CallEventData(5, T0 + 40, "", "UNPAUSE", agent_id="x"),
        ],
    )
    kinds = ("AGENTLOGIN", "AGENTLOGOFF", "PAUSE", "UNPAUSE")
    last = read_last_events_before(db_sessions, to_datetime(T0 + 35), kinds, ("reason",))
    assert sorted(zip(last["agent_id"], last["kind"], last["data_reason"], strict=True)) == [
        ("x", "PAUSE", "break"),
        ("y", "AGENTLOGIN", ""),
    ]


def test_the_bulk_sink_writes_in_chunks_and_on_flush(db_sessions):
    sink = BulkRecordSink(db_sessions, chunk_size=2)
    sink.write_events([CallEventData(7, T0, "c", "OFFERED")])
    sink.write_record(record("c", T0))
    assert load_events(db_sessions) == []  # still buffered
    sink.write_events([CallEventData(8, T0 + 1, "c", "ROUTE")])  # a full chunk: written
    assert len(load_events(db_sessions)) == 2
    sink.flush()
    assert [r.call_id for r in load_records(db_sessions, *window())] == ["c"]
    assert sink.next_seq == 9
    assert (sink.records_written, sink.events_written) == (1, 2)


def test_bad_input_is_refused_before_anything_is_written(db_sessions):
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        BulkRecordSink(db_sessions, chunk_size=0)
    with pytest.raises(ValueError, match="naive datetime"):
        read_records(db_sessions, datetime(2026, 1, 5), to_datetime(T0))
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        insert_events(db_sessions, [CallEventData(1, T0, "c", "X", data={"t": object()})])
    assert load_events(db_sessions) == []


def simulate(sink: MemorySink | BulkRecordSink | SqlRecordSink) -> None:
    """Two hours of the sample center with five agents (overflows and abandons included)."""
    profile = SimulationProfile(
        arrival_rate_per_s=0.04,
        callers=CallerBehaviour(patience=Duration(120.0)),
        agents=AgentBehaviour(ring_delay=Duration(0.0, fixed=True), handle=Duration(200.0)),
    )
    start = DAY_START + 9 * 3600

    async def main(clock: VirtualClock) -> None:
        sim = SimulatedCenter(CENTER, clock, sink, profile, seed=3)
        await sim.start(until=start + 7200)
        await clock.sleep(7200)
        await sim.settle()
        await sim.stop()

    run_virtual(main, start)


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.round(6).reset_index(drop=True)


@pytest.mark.parametrize("by", [("queue", "interval"), ("agent", "interval"), ("dnis",)])
def test_a_report_from_the_database_equals_the_report_from_memory(db_sessions, by):
    memory = MemorySink()
    simulate(memory)
    with BulkRecordSink(db_sessions) as sink:
        sink.write_events(memory.events)
        for item in memory.records:
            sink.write_record(item)
    spec = ReportSpec(start=DAY_START, end=DAY_START + 86400, interval=parse_interval("60m"), by=by)
    from_db = build_report(load_data(db_sessions, spec.start, spec.end), CENTER, spec)
    from_memory = build_report(data_from_lists(memory.records, memory.events), CENTER, spec)
    pd.testing.assert_frame_equal(comparable(from_db.grouped), comparable(from_memory.grouped))
    pd.testing.assert_frame_equal(comparable(from_db.by_queue), comparable(from_memory.by_queue))
    assert from_db.summary == pytest.approx(from_memory.summary, nan_ok=True)
    assert from_db.summary["offered"] > 50


def test_an_agent_logged_in_before_the_window_is_read_from_the_database(db_sessions):
    day = DAY_START + 86400
    insert_events(
        db_sessions,
        [
            CallEventData(1, day - 7200, "", "AGENTLOGIN", agent_id="x"),  # 22:00
            CallEventData(2, day - 3600, "", "PAUSE", agent_id="x", data={"reason": "break"}),
            CallEventData(3, day + 3600, "", "UNPAUSE", agent_id="x"),  # 01:00
            CallEventData(4, day + 3 * 3600, "", "AGENTLOGOFF", agent_id="x"),  # 03:00
        ],
    )
    spec = ReportSpec(start=day, end=day + 86400, interval=parse_interval("day"), by=("agent",))
    agents = build_report(load_data(db_sessions, day, day + 86400), CENTER, spec).by_agent
    x = agents.set_index("agent_id").loc["x"]
    assert x["logged_in_s"] == pytest.approx(3 * 3600)
    assert x["pause_break_s"] == pytest.approx(3600)


def test_records_written_one_by_one_read_the_same(db_sessions):
    memory = MemorySink()
    simulate(memory)
    sql = SqlRecordSink(db_sessions)
    for item in memory.records[:40]:
        sql.write_record(item)
    frame = read_records(db_sessions, *window(DAY_START, DAY_START + 86400))
    stored = {r.call_id: r for r in memory.records[:40]}
    assert set(frame["call_id"]) == set(stored)
    for row in frame.itertuples():
        assert row.arrived_at == pytest.approx(stored[row.call_id].arrived_at, abs=1e-6)
