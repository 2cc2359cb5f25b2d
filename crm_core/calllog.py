"""The call log: folds domain events into one call record per call and an ordered list of call
events (ENTERQUEUE, CONNECT, ABANDON, ...), and hands them to a `RecordSink`.

Call events are written as they happen; the call record is written once, when the engine says the
call is finished (after the agent's wrap-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acd import events as ev
from acd.presence import AgentState
from crm_core.call_records import CallEventData, CallRecordData, RecordSink

_COMPLETE_KIND = {"agent": "COMPLETEAGENT", "caller": "COMPLETECALLER", "system": "COMPLETEAGENT"}
_OVERFLOW_KIND = {"timeout": "EXITWITHTIMEOUT", "full": "EXITFULL", "no-agents": "EXITEMPTY"}


class CallLog:
    """Builds call records and call events from the event bus."""

    def __init__(self, sink: RecordSink, *, first_seq: int = 1) -> None:
        self._sink = sink
        self._seq = first_seq
        self._open: dict[str, CallRecordData] = {}
        self._handlers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.CallOffered: self._offered,
            ev.CallRouted: self._routed,
            ev.CallQueued: self._queued,
            ev.RingNoAnswer: self._ring_no_answer,
            ev.CallConnected: self._connected,
            ev.CallAbandoned: self._abandoned,
            ev.CallOverflowed: self._overflowed,
            ev.CallCompleted: self._completed,
            ev.WrapUpEnded: self._wrap_up_ended,
            ev.VoicemailRecorded: self._voicemail,
            ev.CallEnded: self._ended,
            ev.CallFinished: self._finished,
            ev.AgentStateChanged: self._agent_state,
            ev.RoutingDecision: self._routing_decision,
            ev.CallLost: self._lost,
            ev.CallbackRequested: self._callback_requested,
            ev.CallbackAttemptFailed: self._callback_failed,
            ev.DispositionChosen: self._disposition,
        }

    @property
    def open_calls(self) -> int:
        """Calls whose record is not written yet."""
        return len(self._open)

    async def __call__(self, event: ev.Event) -> None:
        """Bus handler."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _emit(
        self,
        at: float,
        call_id: str,
        kind: str,
        *,
        queue: str = "",
        agent_id: str = "",
        **data: object,
    ) -> None:
        event = CallEventData(self._seq, at, call_id, kind, queue, agent_id, dict(data))
        self._seq += 1
        self._sink.write_events([event])

    def _offered(self, e: ev.CallOffered) -> None:
        self._open[e.call_id] = CallRecordData(
            call_id=e.call_id, direction=e.direction, ani=e.ani, dnis=e.dnis, arrived_at=e.at
        )
        self._emit(e.at, e.call_id, "OFFERED", ani=e.ani, dnis=e.dnis, direction=e.direction)

    def _routed(self, e: ev.CallRouted) -> None:
        self._emit(e.at, e.call_id, "ROUTE", source=e.source, destination=e.destination)

    def _queued(self, e: ev.CallQueued) -> None:
        record = self._open.get(e.call_id)
        if record is not None:
            record.queue = e.queue
            record.queued_at = e.at if record.queued_at is None else record.queued_at
        self._emit(
            e.at, e.call_id, "ENTERQUEUE", queue=e.queue, position=e.position, priority=e.priority
        )

    def _ring_no_answer(self, e: ev.RingNoAnswer) -> None:
        self._emit(
            e.at, e.call_id, "RINGNOANSWER", queue=e.queue, agent_id=e.agent_id, ring_s=e.ring_s
        )

    def _connected(self, e: ev.CallConnected) -> None:
        record = self._open.get(e.call_id)
        if record is not None:
            record.agent_id, record.queue, record.answered_at = e.agent_id, e.queue, e.at
        self._emit(e.at, e.call_id, "CONNECT", queue=e.queue, agent_id=e.agent_id, wait_s=e.wait_s)

    def _abandoned(self, e: ev.CallAbandoned) -> None:
        self._emit(e.at, e.call_id, "ABANDON", queue=e.queue, wait_s=e.wait_s, position=e.position)

    def _overflowed(self, e: ev.CallOverflowed) -> None:
        self._emit(
            e.at,
            e.call_id,
            _OVERFLOW_KIND[e.reason],
            queue=e.queue,
            destination=e.destination,
            wait_s=e.wait_s,
        )

    def _completed(self, e: ev.CallCompleted) -> None:
        record = self._open.get(e.call_id)
        if record is not None:
            record.ended_at, record.ended_by = e.at, e.by
        self._emit(
            e.at,
            e.call_id,
            _COMPLETE_KIND[e.by],
            queue=e.queue,
            agent_id=e.agent_id,
            talk_s=e.talk_s,
        )

    def _wrap_up_ended(self, e: ev.WrapUpEnded) -> None:
        record = self._open.get(e.call_id)
        if record is not None:
            record.wrap_up_ended_at = e.at
        self._emit(e.at, e.call_id, "WRAPUPEND", agent_id=e.agent_id, wrap_s=e.wrap_s)

    def _voicemail(self, e: ev.VoicemailRecorded) -> None:
        self._emit(e.at, e.call_id, "VOICEMAIL", mailbox=e.mailbox, duration_s=e.duration_s)

    def _ended(self, e: ev.CallEnded) -> None:
        record = self._open.get(e.call_id)
        if record is not None and record.ended_at is None:
            record.ended_at, record.ended_by = e.at, e.by

    def _finished(self, e: ev.CallFinished) -> None:
        record = self._open.pop(e.call_id, None)
        if record is None:
            return
        record.outcome = e.outcome
        if record.ended_at is None:
            record.ended_at = e.at
        self._sink.write_record(record)

    def _routing_decision(self, e: ev.RoutingDecision) -> None:
        candidates = [
            {
                "agent_id": c.agent_id,
                "level": c.level,
                "idle_s": c.idle_s,
                "calls": c.calls,
                "talk_s": c.talk_s,
            }
            for c in e.candidates
        ]
        self._emit(
            e.at,
            e.call_id,
            "ROUTING",
            queue=e.queue,
            agent_id=",".join(e.chosen),
            strategy=e.strategy,
            reason=e.reason,
            considered=e.considered,
            candidates=candidates,
        )

    def _callback_requested(self, e: ev.CallbackRequested) -> None:
        self._emit(e.at, e.call_id, "CALLBACK", number=e.number)

    def _disposition(self, e: ev.DispositionChosen) -> None:
        self._emit(e.at, e.call_id, "DISPOSITION", agent_id=e.agent_id, disposition=e.disposition)

    def _callback_failed(self, e: ev.CallbackAttemptFailed) -> None:
        self._emit(
            e.at,
            e.call_id,
            "CALLBACKFAILED",
            queue=e.queue,
            agent_id=e.agent_id,
            cause=e.cause,
            attempt=e.attempt,
            will_retry=e.will_retry,
        )

    def _lost(self, e: ev.CallLost) -> None:
        """A call whose media vanished in a restart: an abandon, recorded from what was kept."""
        record = self._open.pop(e.call_id, None) or CallRecordData(
            call_id=e.call_id,
            direction="inbound",
            ani=e.ani,
            dnis=e.dnis,
            arrived_at=e.arrived_at,
            queue=e.queue,
            queued_at=e.queued_at,
        )
        self._emit(
            e.at, e.call_id, "ABANDON", queue=e.queue, wait_s=e.at - e.queued_at, reason=e.reason
        )
        record.ended_at, record.ended_by, record.outcome = e.at, "system", "abandoned"
        self._sink.write_record(record)

    def _agent_state(self, e: ev.AgentStateChanged) -> None:
        was, now = AgentState(e.previous), AgentState(e.state)
        if was is AgentState.PAUSED and now is not AgentState.LOGGED_OUT:
            self._emit(e.at, "", "UNPAUSE", agent_id=e.agent_id)
        if was is AgentState.LOGGED_OUT:
            self._emit(e.at, "", "AGENTLOGIN", agent_id=e.agent_id)
        if now is AgentState.PAUSED:
            self._emit(e.at, "", "PAUSE", agent_id=e.agent_id, reason=e.reason)
        elif now is AgentState.LOGGED_OUT:
            self._emit(e.at, "", "AGENTLOGOFF", agent_id=e.agent_id)
