"""The durable shapes of a call: one call record (CDR) and its ordered call events.

These are plain dataclasses so pure code (the call log, reports, the simulator) can build and read
them; `crm_core.record_store` writes them to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True)
class CallRecordData:
    """One row per call. Times are seconds since the Unix epoch; None where it never happened."""

    call_id: str
    direction: str
    ani: str
    dnis: str
    arrived_at: float
    queue: str | None = None
    agent_id: str | None = None
    queued_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    wrap_up_ended_at: float | None = None
    outcome: str = "unknown"
    ended_by: str | None = None

    @property
    def wait_s(self) -> float | None:
        """Seconds in queue until answered or until the caller left; None if never queued."""
        if self.queued_at is None:
            return None
        end = self.answered_at if self.answered_at is not None else self.ended_at
        return None if end is None else end - self.queued_at

    @property
    def talk_s(self) -> float:
        """Seconds connected to an agent."""
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        return self.ended_at - self.answered_at

    @property
    def wrap_s(self) -> float:
        """Seconds of after-call work."""
        if self.wrap_up_ended_at is None or self.ended_at is None or self.answered_at is None:
            return 0.0
        return self.wrap_up_ended_at - self.ended_at


@dataclass(frozen=True, slots=True)
class CallEventData:
    """One entry of the ordered call-event log (in the spirit of Asterisk's queue_log).

    `call_id` is empty for agent-only events (PAUSE, UNPAUSE, AGENTLOGIN, AGENTLOGOFF).
    """

    seq: int
    at: float
    call_id: str
    kind: str
    queue: str = ""
    agent_id: str = ""
    data: dict[str, object] = field(default_factory=dict)


class RecordSink(Protocol):
    """Where finished call records and call events go (the database, or memory in simulations)."""

    def write_events(self, events: list[CallEventData]) -> None:
        """Append call events, in order."""

    def write_record(self, record: CallRecordData) -> None:
        """Store one finished call record."""


class MemorySink:
    """A `RecordSink` that keeps everything in lists (simulations and tests)."""

    def __init__(self) -> None:
        self.records: list[CallRecordData] = []
        self.events: list[CallEventData] = []

    def write_events(self, events: list[CallEventData]) -> None:
        """Keep the events."""
        self.events.extend(events)

    def write_record(self, record: CallRecordData) -> None:
        """Keep the record."""
        self.records.append(record)
