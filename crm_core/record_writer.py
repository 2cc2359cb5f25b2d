"""Writing call records and events off the event loop, in group commits.

The call log hands over every call event as it happens. Writing each in its own transaction on
the event loop would stall routing and the desktops for as long as the database takes (SQLite
syncs to disk on commit). `BackgroundRecordSink` queues the writes for one worker thread, which
takes everything queued so far and commits it in one transaction: the loop never waits, and under
load the batches grow instead of the delay. Order is kept. A failed write is retried (the
database may be restarting) and nothing queued is dropped; `stop` writes out what remains.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass, field

import structlog

from crm_core.call_records import CallEventData, CallRecordData, RecordSink
from crm_core.record_store import RecordConflictError

RETRY_S = 1.0
MAX_BATCH = 5_000

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _Batch:
    events: list[CallEventData] = field(default_factory=list)
    records: list[CallRecordData] = field(default_factory=list)


_STOP = object()


class BackgroundRecordSink:
    """A `RecordSink` that writes through `sink` in a worker thread, in batches."""

    def __init__(self, sink: RecordSink, *, retry_s: float = RETRY_S) -> None:
        self._sink = sink
        self._retry_s = retry_s
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.batches_written = 0

    def write_events(self, events: list[CallEventData]) -> None:
        """Queue call events (written in order, soon)."""
        if events:
            self._queue.put(list(events))

    def write_record(self, record: CallRecordData) -> None:
        """Queue a finished call record."""
        self._queue.put(record)

    async def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="record-writer", daemon=True)
            self._thread.start()

    async def stop(self) -> None:
        """Write out everything queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def flush(self) -> None:
        """Block until everything queued so far is written (tests, shutdown)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in items)
            self._write(_batch_of(items))
            for _ in items:
                self._queue.task_done()
            if stop:
                return

    def _write(self, batch: _Batch) -> None:
        while True:
            try:
                self._sink.write_events(batch.events)
                batch.events = []  # written: a retry must not write them twice
                while batch.records:
                    self._write_record(batch.records[0])
                    batch.records.pop(0)
                self.batches_written += 1
                return
            except Exception:
                log.exception("call records not written yet; retrying", retry_s=self._retry_s)
                time.sleep(self._retry_s)  # a worker thread's pause, not a clock reading

    def _write_record(self, record: CallRecordData) -> None:
        try:
            self._sink.write_record(record)
        except RecordConflictError:
            # Another record with this call id and different facts: retrying cannot help, and
            # it must not hold up every later record. The log keeps it whole.
            log.error("conflicting call record not stored", record=repr(record))


def _batch_of(items: list[object]) -> _Batch:
    batch = _Batch()
    for item in items:
        if isinstance(item, list):
            batch.events.extend(item)
        elif isinstance(item, CallRecordData):
            batch.records.append(item)
    return batch
