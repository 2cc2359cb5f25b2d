"""The routing engine: takes one event at a time, updates presence and queues in the `StateStore`,
and returns what to do (commands for the carrier) and what it decided (events for the record).

Call flow: number → (hours check) → IVR menus → queue → offer to an agent chosen by the queue's
strategy → connected → completed → wrap-up. Abandons, ring-no-answer and overflows are handled on
the way. Nothing here knows SIP, HTTP or SQL.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import structlog

from acd import events as ev
from acd.calls import CallSession, Output
from acd.clock import Clock
from acd.commands import (
    AnswerCall,
    Bridge,
    CancelOffer,
    Enqueue,
    Hangup,
    OfferToAgent,
    PlayPrompt,
    RecordVoicemail,
)
from acd.contacts import WaitingContact
from acd.hours import is_open
from acd.ivr import Retry, ask, choose
from acd.matching import candidates, qualified_levels, service_order
from acd.presence import AgentPresence, AgentState
from acd.presence_keeper import PresenceKeeper
from acd.state import StateStore, with_offer
from acd.strategies import StrategyContext, pick_agent
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
    ) -> None:
        self.center = center
        self._store = store
        self._clock = clock
        self._post = post
        self._presence = PresenceKeeper(center, store, clock)
        self._calls: dict[str, CallSession] = {}
        self._levels = qualified_levels(center)
        rng = rng or random.Random()
        self._strategy_ctx = {name: StrategyContext(rng) for name in center.queues}
        self._handlers: dict[type[ev.Event], Callable[[Any, list[Output]], Awaitable[None]]] = {
            ev.CallOffered: self._on_offered,
            ev.DigitsCollected: self._on_digits,
            ev.AgentAnswered: self._on_agent_answered,
            ev.OfferDeclined: self._on_no_answer,
            ev.RingTimedOut: self._on_no_answer,
            ev.CallEnded: self._on_ended,
            ev.VoicemailRecorded: self._on_voicemail,
            ev.MaxWaitExpired: self._on_max_wait,
            ev.WrapUpExpired: self._on_wrap_up_expired,
            ev.AgentLoginRequested: self._on_login,
            ev.AgentLogoutRequested: self._on_logout,
            ev.AgentPauseRequested: self._on_pause,
            ev.AgentReadyRequested: self._on_ready,
        }

    @property
    def active_calls(self) -> int:
        """Calls the engine is still handling (including agents' wrap-up)."""
        return len(self._calls)

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
            ev.CallRouted(
                at=self._now(), call_id=call.call_id, source=source, destination=str(dest)
            )
        )
        if dest.kind == "queue":
            await self._enqueue(call, dest.name, out)
            return
        self._answer(call, out)
        if dest.kind == "menu":
            call.menu, call.tries = dest.name, 0
            out.extend(ask(self.center.menus[dest.name], call.call_id))
        elif dest.kind == "voicemail":
            call.outcome = "voicemail"
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
        if call is None or not call.menu:
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
            call.outcome = "voicemail"

    # --- queueing ----------------------------------------------------------------------------

    async def _enqueue(self, call: CallSession, queue_name: str, out: list[Output]) -> None:
        queue = self.center.queues[queue_name]
        now = self._now()
        call.queue = queue_name
        waiting = await self._store.waiting(queue_name)
        if queue.max_length is not None and len(waiting) >= queue.max_length:
            await self._overflow(call, "full", out)
            return
        self._answer(call, out)
        if call.first_queued_at is None:
            call.first_queued_at = now
        call.outcome = "abandoned"
        contact = WaitingContact(
            call_id=call.call_id,
            queue=queue_name,
            enqueued_at=now,
            first_queued_at=call.first_queued_at,
            seq=await self._store.next_seq(),
            skills=dict(queue.skills),
        )
        position = await self._store.add_waiting(contact)
        out.append(
            ev.CallQueued(
                at=now,
                call_id=call.call_id,
                queue=queue_name,
                priority=contact.priority,
                position=position,
            )
        )
        out.append(Enqueue(call_id=call.call_id, queue=queue_name, prompt=queue.hold_prompt))
        if queue.max_wait_s is not None:
            self._start_timer(
                call,
                "max-wait",
                queue.max_wait_s,
                lambda: ev.MaxWaitExpired(at=self._now(), call_id=call.call_id, queue=queue_name),
            )
        await self._dispatch(out)

    async def _on_max_wait(self, event: ev.MaxWaitExpired, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        contact = await self._store.get_waiting(event.call_id)
        if call is None or contact is None or contact.queue != event.queue:
            return
        await self._leave_queue(contact, out)
        await self._overflow(call, "timeout", out)

    async def _overflow(
        self, call: CallSession, reason: ev.OverflowReason, out: list[Output]
    ) -> None:
        overflow = self.center.queues[call.queue].overflow
        out.append(
            ev.CallOverflowed(
                at=self._now(),
                call_id=call.call_id,
                queue=call.queue,
                destination=str(overflow),
                wait_s=call.wait_s(self._now()),
                reason=reason,
            )
        )
        call.outcome = "overflow"
        await self._goto(call, overflow, f"overflow:{call.queue}", out)

    async def _leave_queue(self, contact: WaitingContact, out: list[Output]) -> None:
        """Take a contact out of its queue, stopping any phone it rings."""
        await self._store.remove_waiting(contact.call_id)
        call = self._calls[contact.call_id]
        call.cancel_timer("max-wait")
        if contact.offered_to:
            call.cancel_timer("ring")
            out.append(CancelOffer(call_id=contact.call_id, agent_id=contact.offered_to))
            agent = await self._store.get_agent(contact.offered_to)
            if agent is not None and agent.state is AgentState.RESERVED:
                await self._presence.after_work(agent, out, keep_idle_since=True)

    # --- offering to agents --------------------------------------------------------------------

    async def _dispatch(self, out: list[Output]) -> None:
        """Offer waiting contacts to available agents until one side runs out."""
        free = {agent.agent_id: agent for agent in await self._store.available_agents()}
        if not free:
            return
        waiting = {name: await self._store.waiting(name) for name in self.center.queues}
        for contact in service_order(self.center, waiting):
            qualified = candidates(self._levels[contact.queue], free)
            if contact.offered_to or not qualified:
                continue
            strategy = self.center.queues[contact.queue].strategy
            chosen = pick_agent(strategy, qualified, self._strategy_ctx[contact.queue])
            if await self._offer(contact, chosen.presence.agent_id, out):
                del free[chosen.presence.agent_id]
            if not free:
                return

    async def _offer(self, contact: WaitingContact, agent_id: str, out: list[Output]) -> bool:
        now = self._now()
        if await self._store.reserve_agent(agent_id, contact.call_id, now) is None:
            return False
        await self._store.update_waiting(with_offer(contact, agent_id))
        queue = self.center.queues[contact.queue]
        out.append(
            ev.AgentStateChanged(
                at=now,
                agent_id=agent_id,
                state=AgentState.RESERVED,
                previous=AgentState.AVAILABLE,
                call_id=contact.call_id,
            )
        )
        out.append(
            ev.AgentRinging(at=now, call_id=contact.call_id, agent_id=agent_id, queue=contact.queue)
        )
        out.append(
            OfferToAgent(
                call_id=contact.call_id,
                agent_id=agent_id,
                extension=self.center.agents[agent_id].extension,
                queue=contact.queue,
                ring_timeout_s=queue.ring_timeout_s,
            )
        )
        self._start_timer(
            self._calls[contact.call_id],
            "ring",
            queue.ring_timeout_s,
            lambda: ev.RingTimedOut(at=self._now(), call_id=contact.call_id, agent_id=agent_id),
        )
        return True

    async def _on_agent_answered(self, event: ev.AgentAnswered, out: list[Output]) -> None:
        contact = await self._store.get_waiting(event.call_id)
        call = self._calls.get(event.call_id)
        if call is None or contact is None or contact.offered_to != event.agent_id:
            log.info("stale answer ignored", call_id=event.call_id, agent_id=event.agent_id)
            return
        await self._store.remove_waiting(event.call_id)
        call.cancel_timer("ring")
        call.cancel_timer("max-wait")
        agent = await self._store.get_agent(event.agent_id)
        assert agent is not None
        await self._presence.set_state(
            agent, AgentState.ON_CALL, out, call_id=call.call_id, no_answer_streak=0
        )
        call.agent_id, call.connected_at, call.outcome = event.agent_id, event.at, "answered"
        out.append(
            ev.CallConnected(
                at=event.at,
                call_id=call.call_id,
                agent_id=event.agent_id,
                queue=contact.queue,
                wait_s=call.wait_s(event.at),
            )
        )
        out.append(Bridge(call_id=call.call_id, agent_id=event.agent_id))

    async def _on_no_answer(
        self, event: ev.RingTimedOut | ev.OfferDeclined, out: list[Output]
    ) -> None:
        await self._ring_no_answer(event.call_id, event.agent_id, out)

    async def _ring_no_answer(self, call_id: str, agent_id: str, out: list[Output]) -> None:
        """The offer failed: the contact keeps its place; the agent may be auto-paused."""
        contact = await self._store.get_waiting(call_id)
        agent = await self._store.get_agent(agent_id)
        if contact is None or agent is None or contact.offered_to != agent_id:
            return
        self._calls[call_id].cancel_timer("ring")
        await self._store.update_waiting(with_offer(contact, ""))
        out.append(CancelOffer(call_id=call_id, agent_id=agent_id))
        out.append(
            ev.RingNoAnswer(
                at=self._now(),
                call_id=call_id,
                agent_id=agent_id,
                queue=contact.queue,
                ring_s=agent.time_in_state(self._now()),
            )
        )
        streak = agent.no_answer_streak + 1
        limit = self.center.queues[contact.queue].auto_pause_after
        if limit and streak >= limit:
            await self._presence.set_state(
                agent, AgentState.PAUSED, out, reason="no-answer", no_answer_streak=streak
            )
        else:
            await self._presence.set_state(
                agent, AgentState.AVAILABLE, out, no_answer_streak=streak
            )
        await self._dispatch(out)

    # --- the end of a call ---------------------------------------------------------------------

    async def _on_ended(self, event: ev.CallEnded, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        if call is None or call.completed:
            return
        if call.connected_at is not None:
            await self._complete(call, event, out)
            return
        contact = await self._store.get_waiting(event.call_id)
        if contact is not None:
            await self._leave_queue(contact, out)
            ahead = [
                c
                for c in await self._store.waiting(contact.queue)
                if c.order_key() < contact.order_key()
            ]
            out.append(
                ev.CallAbandoned(
                    at=event.at,
                    call_id=call.call_id,
                    queue=contact.queue,
                    wait_s=call.wait_s(event.at),
                    position=len(ahead) + 1,
                )
            )
            await self._dispatch(out)
        self._finish(call, out)

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
        agent = await self._store.get_agent(call.agent_id)
        assert agent is not None
        agent = replace(agent, calls_handled=agent.calls_handled + 1, talk_s=agent.talk_s + talk)
        wrap_s = self.center.queues[call.queue].wrap_up_s
        if wrap_s > 0:
            await self._presence.set_state(agent, AgentState.WRAP_UP, out, call_id=call.call_id)
            self._start_timer(
                call,
                "wrap-up",
                wrap_s,
                lambda: ev.WrapUpExpired(
                    at=self._now(), agent_id=call.agent_id, call_id=call.call_id
                ),
            )
        else:
            await self._store.put_agent(agent)
            await self._end_wrap_up(call, agent, out)

    async def _on_wrap_up_expired(self, event: ev.WrapUpExpired, out: list[Output]) -> None:
        agent = await self._store.get_agent(event.agent_id)
        call = self._calls.get(event.call_id)
        if agent is None or call is None or agent.state is not AgentState.WRAP_UP:
            return
        await self._end_wrap_up(call, agent, out)

    async def _end_wrap_up(
        self, call: CallSession, agent: AgentPresence, out: list[Output]
    ) -> None:
        self._close_wrap_up(call, agent, out)
        await self._presence.after_work(agent, out)
        await self._dispatch(out)

    def _close_wrap_up(self, call: CallSession, agent: AgentPresence, out: list[Output]) -> None:
        wrap_s = agent.time_in_state(self._now()) if agent.state is AgentState.WRAP_UP else 0.0
        out.append(
            ev.WrapUpEnded(
                at=self._now(), call_id=call.call_id, agent_id=agent.agent_id, wrap_s=wrap_s
            )
        )
        self._finish(call, out)

    def _finish(self, call: CallSession, out: list[Output]) -> None:
        call.cancel_timers()
        self._calls.pop(call.call_id, None)
        out.append(ev.CallFinished(at=self._now(), call_id=call.call_id, outcome=call.outcome))

    # --- agents --------------------------------------------------------------------------------

    async def _on_login(self, event: ev.AgentLoginRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is not None and agent.state is AgentState.LOGGED_OUT:
            await self._presence.set_state(agent, AgentState.AVAILABLE, out)
            await self._dispatch(out)

    async def _on_logout(self, event: ev.AgentLogoutRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        if agent.state is AgentState.ON_CALL:
            await self._store.put_agent(replace(agent, pending_logout=True))
            return
        agent = await self._release_agent(agent, out)
        await self._presence.set_state(agent, AgentState.LOGGED_OUT, out)
        await self._dispatch(out)

    async def _on_pause(self, event: ev.AgentPauseRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        if agent.state in (AgentState.ON_CALL, AgentState.WRAP_UP):
            await self._store.put_agent(replace(agent, pending_pause=event.reason))
            return
        agent = await self._release_agent(agent, out)
        await self._presence.set_state(agent, AgentState.PAUSED, out, reason=event.reason)
        await self._dispatch(out)

    async def _on_ready(self, event: ev.AgentReadyRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is None:
            return
        if agent.state is AgentState.WRAP_UP and agent.call_id in self._calls:
            agent = replace(agent, pending_pause="", pending_logout=False)
            await self._store.put_agent(agent)
            await self._end_wrap_up(self._calls[agent.call_id], agent, out)
        elif agent.state is AgentState.PAUSED:
            await self._presence.set_state(agent, AgentState.AVAILABLE, out, no_answer_streak=0)
            await self._dispatch(out)

    async def _release_agent(self, agent: AgentPresence, out: list[Output]) -> AgentPresence:
        """Free an agent from a ringing offer or a wrap-up before a pause or logout.

        The contact keeps its place and is offered again once the agent's new state is stored.
        """
        contact = await self._store.get_waiting(agent.call_id) if agent.call_id else None
        if agent.state is AgentState.RESERVED and contact and contact.offered_to == agent.agent_id:
            self._calls[contact.call_id].cancel_timer("ring")
            await self._store.update_waiting(with_offer(contact, ""))
            out.append(CancelOffer(call_id=contact.call_id, agent_id=agent.agent_id))
        elif agent.state is AgentState.WRAP_UP and agent.call_id in self._calls:
            self._close_wrap_up(self._calls[agent.call_id], agent, out)
        return agent

    # --- time ----------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock.now()

    def _start_timer(
        self, call: CallSession, name: str, delay: float, make_event: Callable[[], ev.Event]
    ) -> None:
        call.start_timer(self._clock, name, delay, lambda: self._post(make_event()))
