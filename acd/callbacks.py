"""Callbacks that keep the caller's place in line.

A caller waiting in a queue with a `callback_key` presses it: the inbound call ends with a
confirmation, and a callback contact takes over the caller's exact place (same score and
sequence). When it reaches the head and an agent is free, the agent is offered it first; once the
agent accepts, the customer is dialled. If the customer does not answer, the callback goes back
in line after `callback_retry_s`, up to `callback_retries` more times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from acd import events as ev
from acd.calls import CallSession, Output
from acd.commands import Hangup, Originate
from acd.contacts import WaitingContact

if TYPE_CHECKING:
    from acd.engine import Engine

CALLBACK_SUFFIX = "-cb"


class Callbacks:
    """The callback part of the routing engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._store = engine.store

    def handlers(self) -> dict[type[ev.Event], Callable[[Any, list[Output]], Awaitable[None]]]:
        """The events this part handles."""
        return {
            ev.CalleeAnswered: self._on_callee_answered,
            ev.CallbackRetryDue: self._on_retry_due,
        }

    async def maybe_request(self, call: CallSession, digits: str, out: list[Output]) -> None:
        """A key pressed while waiting: turn the call into a callback if it is the queue's key."""
        contact = await self._store.get_waiting(call.call_id)
        key = self._engine.center.queues[call.queue].callback_key if call.queue else None
        if contact is None or not key or digits != key or call.channel != "voice":
            return
        await self.convert(call, contact, out)

    async def convert(self, call: CallSession, contact: WaitingContact, out: list[Output]) -> None:
        """End the caller's call with a confirmation; a callback takes over its place in line."""
        now = self._engine.now()
        await self._engine.leave_queue(contact, out)
        call.outcome = "callback"
        out.append(ev.CallbackRequested(at=now, call_id=call.call_id, number=call.ani))
        out.append(
            Hangup(call_id=call.call_id, cause="callback requested", prompt="callback-confirmed")
        )
        callback = replace(
            contact,
            call_id=call.call_id + CALLBACK_SUFFIX,
            channel="callback",
            callback_number=call.ani,
            offered_to="",
            preferred_agent="",
            preferred_until=0.0,
            arrived_at=now,
            first_queued_at=now,
        )
        await self._queue_callback(callback, out, announce=True)

    async def _queue_callback(
        self, contact: WaitingContact, out: list[Output], *, announce: bool
    ) -> None:
        now = self._engine.now()
        session = self._engine.open_session(
            CallSession(
                contact.call_id,
                contact.callback_number,
                contact.dnis,
                contact.arrived_at,
                answered=True,
                queue=contact.queue,
                first_queued_at=contact.first_queued_at,
                outcome="callback-failed",
                priority=contact.priority,
                channel="callback",
                callback_contact=contact,
            )
        )
        if announce:
            out.append(
                ev.CallOffered(
                    at=now,
                    call_id=session.call_id,
                    ani=session.ani,
                    dnis=session.dnis,
                    direction="callback",
                )
            )
        position = await self._store.add_waiting(contact)
        if announce:
            out.append(
                ev.CallQueued(
                    at=now,
                    call_id=contact.call_id,
                    queue=contact.queue,
                    priority=contact.priority,
                    position=position,
                )
            )
        await self._engine.dispatch.offer_contact(contact, out)

    async def dial(self, call: CallSession, agent_id: str, out: list[Output]) -> None:
        """The agent accepted the callback: dial the customer."""
        call.agent_id, call.dialing = agent_id, True
        call.callback_attempts += 1
        number = call.callback_contact.callback_number if call.callback_contact else call.ani
        out.append(Originate(call_id=call.call_id, agent_id=agent_id, number=number))

    async def _on_callee_answered(self, event: ev.CalleeAnswered, out: list[Output]) -> None:
        call = self._engine.call(event.call_id)
        if call is None or not call.dialing:
            return
        call.dialing = False
        await self._engine.connect(call, call.agent_id, call.queue, event.at, out)

    async def attempt_failed(
        self, call: CallSession, event: ev.CallEnded, out: list[Output]
    ) -> None:
        """The customer did not answer: free the agent, and retry later or give up."""
        queue = self._engine.center.queues[call.queue]
        retry = call.callback_attempts <= queue.callback_retries
        out.append(
            ev.CallbackAttemptFailed(
                at=event.at,
                call_id=call.call_id,
                agent_id=call.agent_id,
                queue=call.queue,
                cause=event.cause,
                attempt=call.callback_attempts,
                will_retry=retry,
            )
        )
        agent = await self._store.get_agent(call.agent_id)
        call.dialing, call.agent_id = False, ""
        if agent is not None:
            await self._engine.presence.after_work(agent, out)
            await self._engine.dispatch.serve_agent(agent.agent_id, out)
        if retry:
            self._engine.start_timer(
                call,
                "callback-retry",
                queue.callback_retry_s,
                lambda: ev.CallbackRetryDue(at=self._engine.now(), call_id=call.call_id),
            )
        else:
            self._engine.finish(call, out)

    async def _on_retry_due(self, event: ev.CallbackRetryDue, out: list[Output]) -> None:
        call = self._engine.call(event.call_id)
        if call is None or call.callback_contact is None:
            return
        contact = replace(call.callback_contact, offered_to="")
        await self._store.add_waiting(contact)
        await self._engine.dispatch.offer_contact(contact, out)

    async def recover(self, out: list[Output]) -> None:
        """After a restart: callbacks kept by the store get a session (and a record) again."""
        for name in self._engine.center.queues:
            for contact in await self._store.waiting(name):
                if contact.channel == "callback" and self._engine.call(contact.call_id) is None:
                    await self._store.remove_waiting(contact.call_id)
                    await self._queue_callback(replace(contact, offered_to=""), out, announce=True)
