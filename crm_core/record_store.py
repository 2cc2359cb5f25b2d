"""Call records and call events in the database: the `RecordSink` that writes them, and reads.

The rest of Hotline speaks `CallRecordData` / `CallEventData` with float epoch seconds; the tables
hold aware UTC timestamps (microsecond precision). Empty strings in event fields (`call_id` of an
agent-only event, no queue, no agent) are stored as NULL and read back as "". Event `data` is
stored as JSON, so it reads back as JSON gives it (tuples become lists); other values are refused.

Writing a record twice for one call: an identical record (times within `SAME_TIME_S`) is accepted
and ignored, so a writer may safely retry after a lost acknowledgement; a record that differs
raises `RecordConflictError` and the stored record stays as it was (records are written once).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from crm_core.call_records import CallEventData, CallRecordData
from crm_core.models import CallEvent, CallRecord

SAME_TIME_S = 0.001
_TIME_FIELDS = ("arrived_at", "queued_at", "answered_at", "ended_at", "wrap_up_ended_at")
_RECORD_FIELDS = tuple(f.name for f in fields(CallRecordData))


class RecordConflictError(Exception):
    """A different call record is already stored for this call_id."""

    def __init__(self, call_id: str) -> None:
        super().__init__(
            f"a different call record for call {call_id!r} is already stored; "
            "call records are written once and not replaced"
        )
        self.call_id = call_id


class SqlRecordSink:
    """A `RecordSink` writing to the database; each call is one transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def write_events(self, events: list[CallEventData]) -> None:
        """Append call events in the order given (all or none)."""
        if not events:
            return
        with self._sessions.begin() as session:
            session.add_all([_event_row(event) for event in events])

    def write_record(self, record: CallRecordData) -> None:
        """Store one finished call record (see the module docstring for a second write)."""
        try:
            with self._sessions.begin() as session:
                session.add(_record_row(record))
        except IntegrityError:
            stored = _stored_record(self._sessions, record.call_id)
            if stored is None:
                raise  # not a duplicate call_id: some other constraint, report it as is
            if not same_record(stored, record):
                raise RecordConflictError(record.call_id) from None


def same_record(a: CallRecordData, b: CallRecordData) -> bool:
    """True when two records agree on every field (times within `SAME_TIME_S`)."""
    for name in _RECORD_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if name in _TIME_FIELDS and x is not None and y is not None:
            if abs(x - y) > SAME_TIME_S:
                return False
        elif x != y:
            return False
    return True


def load_records(
    sessions: sessionmaker[Session], start: datetime, end: datetime
) -> list[CallRecordData]:
    """Records of calls that arrived in [start, end), oldest first."""
    _require_aware(start, end)
    query = (
        select(CallRecord)
        .where(CallRecord.arrived_at >= start, CallRecord.arrived_at < end)
        .order_by(CallRecord.arrived_at, CallRecord.id)
    )
    return _records(sessions, query)


def recent_records(sessions: sessionmaker[Session], limit: int) -> list[CallRecordData]:
    """The `limit` records of the calls that arrived last, newest first."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    query = (
        select(CallRecord).order_by(CallRecord.arrived_at.desc(), CallRecord.id.desc()).limit(limit)
    )
    return _records(sessions, query)


def load_events(
    sessions: sessionmaker[Session],
    call_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[CallEventData]:
    """Call events ordered by `seq` (then by insertion), optionally of one call and in [start, end).

    `call_id=""` selects the agent-only events (those without a call).
    """
    _require_aware(*(t for t in (start, end) if t is not None))
    query = select(CallEvent).order_by(CallEvent.seq, CallEvent.id)
    if call_id is not None:
        query = query.where(
            CallEvent.call_id.is_(None) if call_id == "" else CallEvent.call_id == call_id
        )
    if start is not None:
        query = query.where(CallEvent.at >= start)
    if end is not None:
        query = query.where(CallEvent.at < end)
    with sessions() as session:
        return [_event_data(row) for row in session.scalars(query)]


def next_event_seq(sessions: sessionmaker[Session]) -> int:
    """The seq after the highest stored one (1 for an empty log): where a restarted log resumes."""
    with sessions() as session:
        highest = session.scalar(select(func.max(CallEvent.seq)))
        return 1 if highest is None else highest + 1


def _records(sessions: sessionmaker[Session], query: Select[Any]) -> list[CallRecordData]:
    with sessions() as session:
        return [_record_data(row) for row in session.scalars(query)]


def _stored_record(sessions: sessionmaker[Session], call_id: str) -> CallRecordData | None:
    with sessions() as session:
        row = session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
        return None if row is None else _record_data(row)


def _require_aware(*times: datetime) -> None:
    for t in times:
        if t.tzinfo is None:
            raise ValueError(f"naive datetime {t!r}: pass an aware (UTC) datetime")


def _epoch(t: datetime | None) -> float | None:
    return None if t is None else t.timestamp()


def _when(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else to_datetime(epoch_s)


def _record_row(record: CallRecordData) -> CallRecord:
    return CallRecord(
        call_id=record.call_id,
        direction=record.direction,
        ani=record.ani,
        dnis=record.dnis,
        queue=record.queue,
        agent_id=record.agent_id,
        arrived_at=to_datetime(record.arrived_at),
        queued_at=_when(record.queued_at),
        answered_at=_when(record.answered_at),
        ended_at=_when(record.ended_at),
        wrap_up_ended_at=_when(record.wrap_up_ended_at),
        outcome=record.outcome,
        ended_by=record.ended_by,
    )


def _record_data(row: CallRecord) -> CallRecordData:
    return CallRecordData(
        call_id=row.call_id,
        direction=row.direction,
        ani=row.ani,
        dnis=row.dnis,
        queue=row.queue,
        agent_id=row.agent_id,
        arrived_at=row.arrived_at.timestamp(),
        queued_at=_epoch(row.queued_at),
        answered_at=_epoch(row.answered_at),
        ended_at=_epoch(row.ended_at),
        wrap_up_ended_at=_epoch(row.wrap_up_ended_at),
        outcome=row.outcome,
        ended_by=row.ended_by,
    )


def _event_row(event: CallEventData) -> CallEvent:
    try:
        json.dumps(event.data)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"call event seq={event.seq} kind={event.kind}: data is not JSON-serialisable ({exc}); "
            "use strings, numbers, booleans, lists and dicts with string keys"
        ) from exc
    return CallEvent(
        seq=event.seq,
        at=to_datetime(event.at),
        call_id=event.call_id or None,
        kind=event.kind,
        queue=event.queue or None,
        agent_id=event.agent_id or None,
        data=dict(event.data),
    )


def _event_data(row: CallEvent) -> CallEventData:
    return CallEventData(
        seq=row.seq,
        at=row.at.timestamp(),
        call_id=row.call_id or "",
        kind=row.kind,
        queue=row.queue or "",
        agent_id=row.agent_id or "",
        data=dict(row.data),
    )


__all__: Sequence[str] = (
    "RecordConflictError",
    "SqlRecordSink",
    "load_events",
    "load_records",
    "next_event_seq",
    "recent_records",
    "same_record",
)
