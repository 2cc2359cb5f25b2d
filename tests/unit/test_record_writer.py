"""Call records written off the event loop: in order, in batches, retried, nothing dropped."""

from __future__ import annotations

import pytest

from crm_core.call_records import CallEventData, CallRecordData, MemorySink
from crm_core.record_store import RecordConflictError
from crm_core.record_writer import BackgroundRecordSink

pytestmark = pytest.mark.unit


def event(seq: int) -> CallEventData:
    return CallEventData(seq, 1000.0 + seq, f"c{seq}", "OFFERED", "", "", {})


def record(call_id: str) -> CallRecordData:
    return CallRecordData(call_id=call_id, direction="inbound", ani="1", dnis="2", arrived_at=1.0)


class FlakySink(MemorySink):
    """Fails the first `failures` writes, as a database restarting would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def write_events(self, events: list[CallEventData]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database restarting")
        super().write_events(events)


class ConflictSink(MemorySink):
    def write_record(self, record: CallRecordData) -> None:
        if record.call_id == "bad":
            raise RecordConflictError(record.call_id)
        super().write_record(record)


async def test_given_many_writes_then_all_arrive_in_order_in_few_batches():
    sink = MemorySink()
    writer = BackgroundRecordSink(sink)
    for seq in range(500):
        writer.write_events([event(seq)])
    writer.write_record(record("c1"))
    await writer.start()
    await writer.stop()
    assert [e.seq for e in sink.events] == list(range(500))
    assert sink.records == [record("c1")]
    assert writer.batches_written <= 2


async def test_given_the_database_fails_for_a_while_then_nothing_is_lost_or_doubled():
    sink = FlakySink(failures=2)
    writer = BackgroundRecordSink(sink, retry_s=0.01)
    await writer.start()
    writer.write_events([event(1), event(2)])
    writer.write_record(record("c1"))
    await writer.stop()
    assert [e.seq for e in sink.events] == [1, 2]
    assert sink.records == [record("c1")]


async def test_given_a_conflicting_record_then_it_is_logged_and_later_ones_still_written():
    sink = ConflictSink()
    writer = BackgroundRecordSink(sink)
    await writer.start()
    writer.write_record(record("bad"))
    writer.write_record(record("good"))
    await writer.stop()
    assert sink.records == [record("good")]
