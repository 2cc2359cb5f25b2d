"""The routing engine: takes one event at a time, updates presence and queues in the `StateStore`,
and returns what to do (commands for the carrier) and what it decided (events for the record).

Call flow: number → (hours check) → IVR menus → queue → offer to an agent (see `acd.dispatch`)
→ connected → completed → wrap-up. Abandons, ring-no-answer and overflows are handled on the way;
agents' requests (login, pause, ready, wrap-up extension) in `acd.agent_desk`. Nothing here knows
SIP, HTTP or SQL.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import structlog

from acd import events as ev
from acd.agent_desk import AgentDesk
from acd.callbacks import Callbacks
from acd.calls import CallSession, Output
from acd.clock import Clock
from acd.commands import (
    AnswerCall,
    Bridge,
    CancelOffer,
    Enqueue,
    Hangup,
    PlayPrompt,
    RecordVoicemail,
)
from acd.contacts import WaitingContact, rank_score
from acd.directory import CallerDirectory, NoDirectory
from acd.dispatch import RING_ALL, Dispatcher
from acd.hours import is_open
from acd.ivr import Retry, ask, choose
from acd.presence import AgentState
from acd.presence_keeper import PresenceKeeper
from acd.queue_status import QueueStatus
from acd.recovery import recover
from acd.state import StateStore
from acd.strategies import StrategyContext
from acd.waiting_care import WaitingCare
from config.center import Center, Destination

Post = Callable[[ev.Event], None]
log = structlog.get_logger(__name__)


class Engine:
    """Skill-based routing for one center definition."""

    def __init__(
        self,
        center: Center,
        store: StateStore,
        clock: Clock,
        post: Post,
        *,
        rng: random.Random | None = None,
        directory: CallerDirectory | None = None,
    ) -> None:
        self.center = center
        self._store = store
        self._clock = clock
        self._post = post
        self._directory = directory or NoDirectory()
        self._calls: dict[str, CallSession] = {}
        self._presence = PresenceKeeper(center, store, clock)
        rng = rng or random.Random()
        contexts = {name: StrategyContext(rng) for name in center.queues}
        self.dispatch = Dispatcher(center, store, clock, self._presence, contexts, self._ring_timer)
        self.status = QueueStatus(center, store, clock, self.dispatch.levels)
        self.desk = AgentDesk(self)
        self.callbacks = Callbacks(self)
        self.care = WaitingCare(self)
        self._handlers: dict[type[ev.Event], Callable[[Any, list[Output]], Awaitable[None]]] = {
            ev.CallOffered: self._on_offered,
            ev.DigitsCollected: self._on_digits,
            ev.AgentAnswered: self._on_agent_answered,
            ev.OfferDeclined: self._on_no_answer,
            ev.RingTimedOut: self._on_no_answer,
            ev.CallEnded: self._on_ended,
            ev.VoicemailRecorded: self._on_voicemail,
            ev.MaxWaitExpired: self._on_max_wait,
            **self.desk.handlers(),
            **self.callbacks.handlers(),
            **self.care.handlers(),
        }

    @property
    def active_calls(self) -> int:
        """Calls the engine is still handling (including agents' wrap-up)."""
        return len(self._calls)

    @property
    def store(self) -> StateStore:
        """The state store the engine routes with."""
        return self._store

    @property
    def presence(self) -> PresenceKeeper:
        """Presence bookkeeping."""
        return self._presence

    def call(self, call_id: str) -> CallSession | None:
        """A live call, if the engine is handling it."""
        return self._calls.get(call_id)

    def now(self) -> float:
        """The engine's clock."""
        return self._clock.now()

    def open_session(self, call: CallSession) -> CallSession:
        """Start tracking a call the engine created itself (a callback)."""
        self._calls[call.call_id] = call
        return call

    async def handle(self, event: ev.Event) -> list[Output]:
        """Apply one event; the commands and decision events it leads to, in order."""
        handler = self._handlers.get(type(event))
        out: list[Output] = []
        if handler is not None:
            await handler(event, out)
        return out

    # --- inbound call flow -------------------------------------------------------------------

    async def _on_offered(self, event: ev.CallOffered, out: list[Output]) -> None:
        call = CallSession(event.call_id, event.ani, event.dnis, event.at)
        self._calls[call.call_id] = call
        caller = await self._directory.lookup(event.ani, event.dnis)
        call.priority, call.preferred_agent = caller.priority, caller.preferred_agent
        hours = self.center.hours
        if not is_open(hours, self.center.center.timezone, event.at):
            call.outcome = "after-hours"
            await self._goto(call, hours.after_hours, "hours", out, prompt=hours.after_hours_prompt)
            return
        destination = self.center.numbers.get(event.dnis)
        if destination is None:
            call.outcome = "unroutable"
            out.append(Hangup(call_id=call.call_id, cause="no route for the dialled number"))
            return
        await self._goto(call, destination, f"number:{event.dnis}", out)

    async def _goto(
        self,
        call: CallSession,
        dest: Destination,
        source: str,
        out: list[Output],
        *,
        prompt: str = "",
    ) -> None:
        out.append(
            ev.CallRouted(at=self.now(), call_id=call.call_id, source=source, destination=str(dest))
        )
        if dest.kind == "queue":
            await self._enqueue(call, dest.name, out)
            return
        self._answer(call, out)
        if dest.kind == "menu":
            call.menu, call.tries = dest.name, 0
            out.extend(ask(self.center.menus[dest.name], call.call_id))
        elif dest.kind == "voicemail":
            call.outcome = _voicemail_outcome(call)
            if prompt:
                out.append(PlayPrompt(call_id=call.call_id, prompt=prompt))
            out.append(RecordVoicemail(call_id=call.call_id, mailbox=dest.name))
        else:
            cause = f"routed to hangup by {source}"
            out.append(Hangup(call_id=call.call_id, cause=cause, prompt=prompt))

    def _answer(self, call: CallSession, out: list[Output]) -> None:
        if not call.answered:
            call.answered = True
            out.append(AnswerCall(call_id=call.call_id))

    async def _on_digits(self, event: ev.DigitsCollected, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            return
        if not call.menu:
            await self.callbacks.maybe_request(call, event.digits, out)
            return
        menu = self.center.menus[call.menu]
        step = choose(menu, event.digits, call.tries)
        if isinstance(step, Retry):
            call.tries += 1
            out.extend(ask(menu, call.call_id, prefix=step.prefix))
            return
        source, call.menu = f"menu:{call.menu}", ""
        await self._goto(call, step, source, out)

    async def _on_voicemail(self, event: ev.VoicemailRecorded, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        if call is not None:
            call.outcome = _voicemail_outcome(call)

    # --- queueing ----------------------------------------------------------------------------

    async def _enqueue(self, call: CallSession, queue_name: str, out: list[Output]) -> None:
        queue = self.center.queues[queue_name]
        call.queue = queue_name
        full = queue.max_length is not None and (
            await self._store.count_waiting(queue_name) >= queue.max_length
        )
        if full:
            await self._overflow(call, "full", out)
            return
        if not queue.join_empty and not await self.status.is_staffed(queue_name):
            await self._overflow(call, "no-agents", out)
            return
        self._answer(call, out)
        contact = await self._waiting_contact(call, queue_name)
        position = await self._store.add_waiting(contact)
        call.outcome = "abandoned"
        out.append(
            ev.CallQueued(
                at=contact.enqueued_at,
                call_id=call.call_id,
                queue=queue_name,
                priority=contact.priority,
                position=position,
            )
        )
        out.append(Enqueue(call_id=call.call_id, queue=queue_name, prompt=queue.hold_prompt))
        self.care.start(call, contact)
        await self.dispatch.offer_contact(contact, out)

    async def _waiting_contact(self, call: CallSession, queue_name: str) -> WaitingContact:
        queue, now = self.center.queues[queue_name], self.now()
        if call.first_queued_at is None:
            call.first_queued_at = now
        preferred_until = 0.0
        if call.preferred_agent and queue.preferred_agent_window_s > 0:
            agent = await self._store.get_agent(call.preferred_agent)
            qualified = call.preferred_agent in self.dispatch.levels[queue_name]
            if qualified and agent is not None and agent.state is not AgentState.LOGGED_OUT:
                preferred_until = now + queue.preferred_agent_window_s
        return WaitingContact(
            call_id=call.call_id,
            queue=queue_name,
            enqueued_at=now,
            first_queued_at=call.first_queued_at,
            seq=await self._store.next_seq(),
            priority=call.priority,
            skills=dict(queue.skills),
            preferred_agent=call.preferred_agent if preferred_until else "",
            preferred_until=preferred_until,
            ani=call.ani,
            dnis=call.dnis,
            arrived_at=call.arrived_at,
            score=rank_score(now, call.priority, queue.priority_ageing_s),
        )

    async def _on_max_wait(self, event: ev.MaxWaitExpired, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        contact = await self._store.get_waiting(event.call_id)
        if call is None or contact is None or contact.queue != event.queue:
            return
        if self.center.queues[contact.queue].overflow.kind == "callback":
            self._overflowed(call, "timeout", out)
            await self.callbacks.convert(call, contact, out)
            return
        await self.leave_queue(contact, out)
        await self._overflow(call, "timeout", out)

    async def overflow_waiting(self, queue_name: str, out: list[Output]) -> None:
        """Every contact waiting in the queue leaves for its overflow (no agent left)."""
        for contact in await self._store.waiting(queue_name):
            call = self._calls.get(contact.call_id)
            if call is not None:
                await self.leave_queue(contact, out)
                await self._overflow(call, "no-agents", out)

    async def _overflow(
        self, call: CallSession, reason: ev.OverflowReason, out: list[Output]
    ) -> None:
        """The call leaves its queue for the queue's overflow destination."""
        queue = self.center.queues[call.queue]
        self._overflowed(call, reason, out)
        call.outcome = "overflow"
        call.overflows += 1
        if call.overflows > len(self.center.queues):  # queues that overflow into each other
            out.append(
                Hangup(call_id=call.call_id, cause="overflow loop", prompt=queue.overflow_prompt)
            )
            return
        destination = queue.overflow
        if destination.kind == "callback":  # no place in line to keep: leave a message instead
            destination = Destination(kind="voicemail", name=call.queue)
        await self._goto(
            call, destination, f"overflow:{call.queue}", out, prompt=queue.overflow_prompt
        )

    def _overflowed(self, call: CallSession, reason: ev.OverflowReason, out: list[Output]) -> None:
        out.append(
            ev.CallOverflowed(
                at=self.now(),
                call_id=call.call_id,
                queue=call.queue,
                destination=str(self.center.queues[call.queue].overflow),
                wait_s=call.wait_s(self.now()),
                reason=reason,
            )
        )

    async def leave_queue(self, contact: WaitingContact, out: list[Output]) -> None:
        """Take a contact out of its queue, stopping any phone it rings."""
        call = self._calls[contact.call_id]
        for name in ("max-wait", "ring", "preferred", "announce"):
            call.cancel_timer(name)
        self.dispatch.waiting_for.get(contact.preferred_agent, set()).discard(contact.call_id)
        rang = await self.dispatch.withdraw(contact, out)
        await self._store.remove_waiting(contact.call_id)
        for agent in rang:
            await self._presence.after_work(agent, out, keep_idle_since=True)
            await self.dispatch.serve_agent(agent.agent_id, out)

    # --- answers and no-answers ----------------------------------------------------------------

    def _ring_timer(self, call_id: str, agent_id: str, timeout_s: float) -> None:
        call = self._calls[call_id]
        self.start_timer(
            call,
            "ring",
            timeout_s,
            lambda: ev.RingTimedOut(at=self.now(), call_id=call_id, agent_id=agent_id),
        )

    async def _on_agent_answered(self, event: ev.AgentAnswered, out: list[Output]) -> None:
        contact = await self._store.get_waiting(event.call_id)
        call = self._calls.get(event.call_id)
        if call is None or contact is None or not self.dispatch.is_ringing(contact, event.agent_id):
            log.info("stale answer ignored", call_id=event.call_id, agent_id=event.agent_id)
            return
        await self.dispatch.answered_by(contact, event.agent_id, out)
        for name in ("max-wait", "ring", "preferred", "announce"):
            call.cancel_timer(name)
        await self._store.remove_waiting(event.call_id)
        agent = await self._store.get_agent(event.agent_id)
        assert agent is not None
        await self._presence.set_state(
            agent, AgentState.ON_CALL, out, call_id=call.call_id, no_answer_streak=0
        )
        if call.channel == "callback":
            await self.callbacks.dial(call, event.agent_id, out)
        else:
            await self.connect(call, event.agent_id, contact.queue, event.at, out)

    async def connect(
        self, call: CallSession, agent_id: str, queue: str, at: float, out: list[Output]
    ) -> None:
        """The caller and the agent are talking."""
        call.agent_id, call.connected_at, call.outcome = agent_id, at, "answered"
        out.append(
            ev.CallConnected(
                at=at, call_id=call.call_id, agent_id=agent_id, queue=queue, wait_s=call.wait_s(at)
            )
        )
        out.append(Bridge(call_id=call.call_id, agent_id=agent_id))

    async def _on_no_answer(
        self, event: ev.RingTimedOut | ev.OfferDeclined, out: list[Output]
    ) -> None:
        contact = await self._store.get_waiting(event.call_id)
        if contact is None:
            return
        if event.agent_id == RING_ALL or contact.offered_to == RING_ALL:
            await self._ring_all_no_answer(contact, event.agent_id, out)
        elif contact.offered_to == event.agent_id:
            await self.ring_no_answer(contact, out)

    async def ring_no_answer(self, contact: WaitingContact, out: list[Output]) -> None:
        """The offer failed: the contact keeps its place; the agents may be auto-paused.

        Every phone that rang is settled first, so a re-offer sees all of them free again.
        """
        self._calls[contact.call_id].cancel_timer("ring")
        freed: list[str] = []
        paused: list[str] = []
        for agent in await self.dispatch.withdraw(contact, out):
            available = await self._no_answer_by(agent.agent_id, contact, out)
            (freed if available else paused).append(agent.agent_id)
        contact = await self._store.get_waiting(contact.call_id) or contact
        # Another free agent first; then the agents who did not answer take the best caller
        # for them (one waiting for them by name, a VIP who came meanwhile, or this one again).
        await self.dispatch.offer_contact(contact, out, exclude=frozenset(freed))
        for agent_id in freed:
            await self.dispatch.serve_agent(agent_id, out)
        for agent_id in paused:  # callers waiting for an auto-paused agent go to others, after
            await self.desk.after_leaving(agent_id, None, out)

    async def _ring_all_no_answer(
        self, contact: WaitingContact, agent_id: str, out: list[Output]
    ) -> None:
        members = self.dispatch.ringing_all.get(contact.call_id, set())
        if agent_id == RING_ALL or members <= {agent_id}:
            await self.ring_no_answer(contact, out)  # time is up, or the last phone gave up
        elif agent_id in members:
            members.discard(agent_id)
            out.append(CancelOffer(call_id=contact.call_id, agent_id=agent_id))
            if await self._no_answer_by(agent_id, contact, out):
                await self.dispatch.serve_agent(agent_id, out)
            else:
                await self.desk.after_leaving(agent_id, None, out)

    async def _no_answer_by(
        self, agent_id: str, contact: WaitingContact, out: list[Output]
    ) -> bool:
        """Record a ring-no-answer; True if the agent is available again (not auto-paused)."""
        agent = await self._store.get_agent(agent_id)
        if agent is None or agent.state is not AgentState.RESERVED:
            return False
        out.append(
            ev.RingNoAnswer(
                at=self.now(),
                call_id=contact.call_id,
                agent_id=agent_id,
                queue=contact.queue,
                ring_s=agent.time_in_state(self.now()),
            )
        )
        streak = agent.no_answer_streak + 1
        limit = self.center.queues[contact.queue].auto_pause_after
        if limit and streak >= limit:
            await self._presence.set_state(
                agent, AgentState.PAUSED, out, reason="no-answer", no_answer_streak=streak
            )
            return False
        await self._presence.set_state(agent, AgentState.AVAILABLE, out, no_answer_streak=streak)
        return True

    # --- the end of a call ---------------------------------------------------------------------

    async def _on_ended(self, event: ev.CallEnded, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        if call is None or call.completed:
            return
        if call.connected_at is not None:
            await self._complete(call, event, out)
            return
        if call.dialing:
            await self.callbacks.attempt_failed(call, event, out)
            return
        contact = await self._store.get_waiting(event.call_id)
        if contact is not None:
            position = await self._store.position(contact.call_id) or 1
            await self.leave_queue(contact, out)
            out.append(
                ev.CallAbandoned(
                    at=event.at,
                    call_id=call.call_id,
                    queue=contact.queue,
                    wait_s=call.wait_s(event.at),
                    position=position,
                )
            )
        self.finish(call, out)

    async def _complete(self, call: CallSession, event: ev.CallEnded, out: list[Output]) -> None:
        assert call.connected_at is not None
        call.completed = True
        talk = event.at - call.connected_at
        out.append(
            ev.CallCompleted(
                at=event.at,
                call_id=call.call_id,
                agent_id=call.agent_id,
                queue=call.queue,
                talk_s=talk,
                by=event.by,
            )
        )
        self.status.handled(call.queue, talk + self.center.queues[call.queue].wrap_up_s)
        agent = await self._store.get_agent(call.agent_id)
        assert agent is not None
        agent = replace(agent, calls_handled=agent.calls_handled + 1, talk_s=agent.talk_s + talk)
        wrap_s = self.center.queues[call.queue].wrap_up_s
        if wrap_s > 0:
            await self._presence.set_state(agent, AgentState.WRAP_UP, out, call_id=call.call_id)
            self.start_wrap_up_timer(call, wrap_s)
        else:
            await self._store.put_agent(agent)
            await self.desk.end_wrap_up(call, agent, out)

    def start_wrap_up_timer(self, call: CallSession, seconds: float) -> None:
        """(Re)start the call's wrap-up timer."""
        self.start_timer(
            call,
            "wrap-up",
            seconds,
            lambda: ev.WrapUpExpired(at=self.now(), agent_id=call.agent_id, call_id=call.call_id),
        )

    def finish(self, call: CallSession, out: list[Output]) -> None:
        """The engine is done with the call: its record can be written."""
        call.cancel_timers()
        self._calls.pop(call.call_id, None)
        out.append(ev.CallFinished(at=self.now(), call_id=call.call_id, outcome=call.outcome))

    # --- restart -------------------------------------------------------------------------------

    async def recover(self) -> list[Output]:
        """After a restart: see `acd.recovery.recover`."""
        return await recover(self)

    # --- time ----------------------------------------------------------------------------------

    def start_timer(
        self, call: CallSession, name: str, delay: float, make_event: Callable[[], ev.Event]
    ) -> None:
        """Start (or restart) a named timer of the call that posts an event when it fires."""
        call.start_timer(self._clock, name, delay, lambda: self._post(make_event()))


def _voicemail_outcome(call: CallSession) -> str:
    """Calls that reach voicemail because the center is closed stay counted as after-hours."""
    return call.outcome if call.outcome == "after-hours" else "voicemail"
