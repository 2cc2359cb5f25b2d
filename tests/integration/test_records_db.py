"""Call records and call events through the database, on SQLite and PostgreSQL.

What is written is what is read back: every field, times within 1 ms, events in seq order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from crm_core.call_records import CallEventData, CallRecordData, RecordSink
from crm_core.models import CallEvent, CallRecord
from crm_core.record_store import (
    RecordConflictError,
    SqlRecordSink,
    load_events,
    load_records,
    next_event_seq,
    recent_records,
)

pytestmark = pytest.mark.integration

T0 = 1_717_243_200.123456  # 2024-06-01 12:00:00.123456 UTC
MS = 0.001


def _full_record(call_id: str = "c1", arrived_at: float = T0) -> CallRecordData:
    return CallRecordData(
        call_id=call_id,
        direction="inbound",
        ani="+33612345678",
        dnis="+33140000000",
        arrived_at=arrived_at,
        queue="sales",
        agent_id="a7",
        queued_at=arrived_at + 4.5,
        answered_at=arrived_at + 31.25,
        ended_at=arrived_at + 200.0001,
        wrap_up_ended_at=arrived_at + 230.999999,
        outcome="answered",
        ended_by="caller",
    )


def _bare_record(call_id: str, arrived_at: float) -> CallRecordData:
    return CallRecordData(call_id=call_id, direction="inbound", ani="100", dnis="200",
                          arrived_at=arrived_at)  # fmt: skip


def _assert_same_record(read: CallRecordData, written: CallRecordData) -> None:
    for name in ("arrived_at", "queued_at", "answered_at", "ended_at", "wrap_up_ended_at"):
        w, r = getattr(written, name), getattr(read, name)
        if w is None:
            assert r is None, name
        else:
            assert r == pytest.approx(w, abs=MS), name
    same_times = replace(
        read,
        arrived_at=written.arrived_at,
        queued_at=written.queued_at,
        answered_at=written.answered_at,
        ended_at=written.ended_at,
        wrap_up_ended_at=written.wrap_up_ended_at,
    )
    assert same_times == written


def _count(sessions: sessionmaker[Session], model: type[CallRecord] | type[CallEvent]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _window(start_s: float, end_s: float) -> tuple[datetime, datetime]:
    return to_datetime(start_s), to_datetime(end_s)


# --- records ------------------------------------------------------------------------------------


def test_sink_satisfies_the_record_sink_protocol(db_sessions: sessionmaker[Session]) -> None:
    sink: RecordSink = SqlRecordSink(db_sessions)
    assert sink is not None


def test_given_full_record_when_written_then_read_back_equal(
    db_sessions: sessionmaker[Session],
) -> None:
    written = _full_record()
    SqlRecordSink(db_sessions).write_record(written)
    [read] = load_records(db_sessions, *_window(T0 - 1, T0 + 1))
    _assert_same_record(read, written)
    assert read.talk_s == pytest.approx(written.talk_s, abs=MS)


def test_given_record_with_only_required_fields_then_missing_times_stay_none(
    db_sessions: sessionmaker[Session],
) -> None:
    written = _bare_record("c-min", T0)
    SqlRecordSink(db_sessions).write_record(written)
    [read] = recent_records(db_sessions, 10)
    _assert_same_record(read, written)
    assert read.queue is None
    assert read.outcome == "unknown"


def test_stored_times_are_aware_utc(db_sessions: sessionmaker[Session]) -> None:
    SqlRecordSink(db_sessions).write_record(_full_record())
    with db_sessions() as session:
        row = session.scalars(select(CallRecord)).one()
    assert row.arrived_at.tzinfo is UTC
    assert row.arrived_at == datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_load_records_takes_calls_arrived_in_half_open_window_oldest_first(
    db_sessions: sessionmaker[Session],
) -> None:
    sink = SqlRecordSink(db_sessions)
    for call_id, offset in (("late", 60.0), ("start", 0.0), ("end", 120.0), ("before", -0.5)):
        sink.write_record(_bare_record(call_id, T0 + offset))
    read = load_records(db_sessions, *_window(T0, T0 + 120.0))
    assert [r.call_id for r in read] == ["start", "late"]


def test_load_records_refuses_naive_datetimes(db_sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        load_records(db_sessions, datetime(2024, 6, 1), datetime(2024, 6, 2))


def test_recent_records_gives_the_latest_arrivals_newest_first(
    db_sessions: sessionmaker[Session],
) -> None:
    sink = SqlRecordSink(db_sessions)
    for i in range(5):
        sink.write_record(_bare_record(f"c{i}", T0 + i))
    assert [r.call_id for r in recent_records(db_sessions, 3)] == ["c4", "c3", "c2"]
    assert recent_records(db_sessions, 0) == []
    with pytest.raises(ValueError, match="negative"):
        recent_records(db_sessions, -1)


def test_given_same_record_written_twice_then_one_row_is_kept(
    db_sessions: sessionmaker[Session],
) -> None:
    sink = SqlRecordSink(db_sessions)
    sink.write_record(_full_record())
    sink.write_record(_full_record())  # a retry after a lost acknowledgement
    assert _count(db_sessions, CallRecord) == 1


def test_given_different_record_for_same_call_then_conflict_and_first_is_kept(
    db_sessions: sessionmaker[Session],
) -> None:
    sink = SqlRecordSink(db_sessions)
    first = _full_record()
    sink.write_record(first)
    with pytest.raises(RecordConflictError, match="'c1'") as caught:
        sink.write_record(replace(first, outcome="abandoned", answered_at=None))
    assert caught.value.call_id == "c1"
    [kept] = recent_records(db_sessions, 10)
    _assert_same_record(kept, first)


def test_long_text_values_are_kept_whole(db_sessions: sessionmaker[Session]) -> None:
    written = replace(_full_record(call_id="x" * 300), ani="+1" * 100, outcome="o" * 80)
    SqlRecordSink(db_sessions).write_record(written)
    [read] = recent_records(db_sessions, 1)
    _assert_same_record(read, written)


# --- events -------------------------------------------------------------------------------------


def _events() -> list[CallEventData]:
    return [
        CallEventData(seq=1, at=T0, call_id="c1", kind="ENTERQUEUE", queue="sales",
                      data={"ani": "+33612345678", "position": 1}),
        CallEventData(seq=2, at=T0 + 0.5, call_id="", kind="PAUSE", agent_id="a2",
                      data={"reason": "lunch"}),
        CallEventData(seq=3, at=T0 + 15.0, call_id="c1", kind="RINGNOANSWER", queue="sales",
                      agent_id="a2", data={"ring_s": 15.0}),
        CallEventData(seq=4, at=T0 + 31.25, call_id="c1", kind="CONNECT", queue="sales",
                      agent_id="a7", data={"wait_s": 31.25, "nested": {"ok": True, "l": [1, 2]}}),
        CallEventData(seq=5, at=T0 + 200.0, call_id="c1", kind="COMPLETECALLER", queue="sales",
                      agent_id="a7"),
    ]  # fmt: skip


def _assert_same_events(read: list[CallEventData], written: list[CallEventData]) -> None:
    assert len(read) == len(written)
    for r, w in zip(read, written, strict=True):
        assert r.at == pytest.approx(w.at, abs=MS)
        assert replace(r, at=w.at) == w


def test_given_events_when_written_then_read_back_equal_in_seq_order(
    db_sessions: sessionmaker[Session],
) -> None:
    written = _events()
    SqlRecordSink(db_sessions).write_events(written)
    _assert_same_events(load_events(db_sessions), written)


def test_events_written_in_batches_out_of_order_read_back_by_seq(
    db_sessions: sessionmaker[Session],
) -> None:
    written = _events()
    sink = SqlRecordSink(db_sessions)
    sink.write_events(written[3:])
    sink.write_events(written[:3])
    _assert_same_events(load_events(db_sessions), written)


def test_load_events_of_one_call(db_sessions: sessionmaker[Session]) -> None:
    SqlRecordSink(db_sessions).write_events(_events())
    assert [e.seq for e in load_events(db_sessions, call_id="c1")] == [1, 3, 4, 5]
    assert load_events(db_sessions, call_id="nope") == []


def test_load_events_with_empty_call_id_gives_agent_only_events(
    db_sessions: sessionmaker[Session],
) -> None:
    SqlRecordSink(db_sessions).write_events(_events())
    assert [e.kind for e in load_events(db_sessions, call_id="")] == ["PAUSE"]


def test_load_events_in_half_open_time_window(db_sessions: sessionmaker[Session]) -> None:
    SqlRecordSink(db_sessions).write_events(_events())
    start, end = _window(T0 + 0.5, T0 + 31.25)
    assert [e.seq for e in load_events(db_sessions, start=start, end=end)] == [2, 3]
    assert [e.seq for e in load_events(db_sessions, start=start)] == [2, 3, 4, 5]
    assert [e.seq for e in load_events(db_sessions, end=end)] == [1, 2, 3]


def test_load_events_refuses_naive_datetimes(db_sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        load_events(db_sessions, start=datetime(2024, 6, 1))


def test_given_batch_with_unserialisable_data_then_nothing_of_it_is_written(
    db_sessions: sessionmaker[Session],
) -> None:
    unserialisable = CallEventData(seq=9, at=T0, call_id="c9", kind="X", data={"o": object()})
    bad = [*_events()[:2], unserialisable]
    with pytest.raises(ValueError, match="seq=9 kind=X: data is not JSON"):
        SqlRecordSink(db_sessions).write_events(bad)
    assert _count(db_sessions, CallEvent) == 0


def test_writing_no_events_is_harmless(db_sessions: sessionmaker[Session]) -> None:
    SqlRecordSink(db_sessions).write_events([])
    assert load_events(db_sessions) == []


def test_next_event_seq_follows_the_highest_stored(db_sessions: sessionmaker[Session]) -> None:
    assert next_event_seq(db_sessions) == 1
    SqlRecordSink(db_sessions).write_events(_events())
    assert next_event_seq(db_sessions) == 6
