"""The routing engine: takes one event at a time, updates presence and queues in the `StateStore`,
and returns what to do (commands for the carrier) and what it decided (events for the record).

Call flow: number → (hours check) → IVR menus → queue → offer to an agent chosen by the queue's
strategy → connected → completed → wrap-up. Abandons, ring-no-answer and overflows are handled on
the way. Nothing here knows SIP, HTTP or SQL.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from acd import events as ev
from acd.clock import Clock, Timer
from acd.commands import (
    AnswerCall,
    Bridge,
    CancelOffer,
    CollectDigits,
    Command,
    Enqueue,
    Hangup,
    OfferToAgent,
    PlayPrompt,
    RecordVoicemail,
)
from acd.contacts import WaitingContact
from acd.hours import is_open
from acd.presence import AgentPresence, AgentState
from acd.state import StateStore, with_offer
from acd.strategies import Candidate, StrategyContext, pick_agent, skill_level
from config.center import Center, Destination

Output = Command | ev.Event
Post = Callable[[ev.Event], None]
log = structlog.get_logger(__name__)


@dataclass(slots=True)
class CallSession:
    """What the engine remembers about one live call."""

    call_id: str
    ani: str
    dnis: str
    arrived_at: float
    answered: bool = False
    menu: str = ""
    tries: int = 0
    queue: str = ""
    first_queued_at: float | None = None
    agent_id: str = ""
    connected_at: float | None = None
    completed: bool = False
    outcome: str = "ivr"
    timers: dict[str, Timer] = field(default_factory=dict)


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
        self._rng = rng or random.Random()
        self._calls: dict[str, CallSession] = {}
        self._levels = {
            name: {
                agent_id: level
                for agent_id, agent in center.agents.items()
                if (level := skill_level(agent.skills, queue.skills)) is not None
            }
            for name, queue in center.queues.items()
        }
        self._strategy_ctx = {name: StrategyContext(self._rng) for name in center.queues}
        self._handlers: dict[type[ev.Event], Callable[[Any, list[Output]], Awaitable[None]]] = {
            ev.CallOffered: self._on_offered,
            ev.DigitsCollected: self._on_digits,
            ev.AgentAnswered: self._on_agent_answered,
            ev.OfferDeclined: self._on_declined,
            ev.RingTimedOut: self._on_ring_timeout,
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
            self._ask(call, out)
        elif dest.kind == "voicemail":
            call.outcome = "voicemail"
            if prompt:
                out.append(PlayPrompt(call_id=call.call_id, prompt=prompt))
            out.append(RecordVoicemail(call_id=call.call_id, mailbox=dest.name))
        else:
            out.append(
                Hangup(call_id=call.call_id, cause=f"routed to hangup by {source}", prompt=prompt)
            )

    def _answer(self, call: CallSession, out: list[Output]) -> None:
        if not call.answered:
            call.answered = True
            out.append(AnswerCall(call_id=call.call_id))

    def _ask(self, call: CallSession, out: list[Output], *, prefix: str = "") -> None:
        menu = self.center.menus[call.menu]
        if prefix:
            out.append(PlayPrompt(call_id=call.call_id, prompt=prefix))
        out.append(
            CollectDigits(
                call_id=call.call_id, prompt=menu.prompt, max_digits=1, timeout_s=menu.timeout_s
            )
        )

    async def _on_digits(self, event: ev.DigitsCollected, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        if call is None or not call.menu:
            return
        menu = self.center.menus[call.menu]
        choice = menu.options.get(event.digits)
        source = f"menu:{call.menu}"
        if choice is not None:
            call.menu = ""
            await self._goto(call, choice, source, out)
        elif call.tries < menu.retries:
            call.tries += 1
            self._ask(call, out, prefix=menu.invalid_prompt if event.digits else "")
        else:
            call.menu = ""
            await self._goto(call, menu.default, source, out)

    async def _on_voicemail(self, event: ev.VoicemailRecorded, out: list[Output]) -> None:
        call = self._calls.get(event.call_id)
        if call is not None:
            call.outcome = "voicemail"

    # --- queueing ----------------------------------------------------------------------------

    async def _enqueue(self, call: CallSession, queue_name: str, out: list[Output]) -> None:
        queue = self.center.queues[queue_name]
        now = self._now()
        call.queue = queue_name
        if queue.max_length is not None and len(await self._store.waiting(queue_name)) >= (
            queue.max_length
        ):
            await self._overflow(call, "full", out)
            return
        self._answer(call, out)
        call.first_queued_at = now if call.first_queued_at is None else call.first_queued_at
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
        queue = self.center.queues[call.queue]
        wait = self._now() - call.first_queued_at if call.first_queued_at is not None else 0.0
        out.append(
            ev.CallOverflowed(
                at=self._now(),
                call_id=call.call_id,
                queue=call.queue,
                destination=str(queue.overflow),
                wait_s=wait,
                reason=reason,
            )
        )
        call.outcome = "overflow"
        await self._goto(call, queue.overflow, f"overflow:{call.queue}", out)

    async def _leave_queue(self, contact: WaitingContact, out: list[Output]) -> None:
        """Take a contact out of its queue, stopping any phone it rings."""
        await self._store.remove_waiting(contact.call_id)
        call = self._calls[contact.call_id]
        self._cancel_timer(call, "max-wait")
        if contact.offered_to:
            self._cancel_timer(call, "ring")
            out.append(CancelOffer(call_id=contact.call_id, agent_id=contact.offered_to))
            agent = await self._store.get_agent(contact.offered_to)
            if agent is not None and agent.state is AgentState.RESERVED:
                await self._after_work(agent, out, keep_idle_since=True)

    # --- offering to agents --------------------------------------------------------------------

    async def _dispatch(self, out: list[Output]) -> None:
        """Offer waiting contacts to available agents until one side runs out."""
        free = {agent.agent_id: agent for agent in await self._store.available_agents()}
        if not free:
            return
        for contact in await self._waiting_in_service_order():
            if contact.offered_to:
                continue
            candidates = [
                Candidate(free[agent_id], level)
                for agent_id, level in self._levels[contact.queue].items()
                if agent_id in free
            ]
            if not candidates:
                continue
            strategy = self.center.queues[contact.queue].strategy
            chosen = pick_agent(strategy, candidates, self._strategy_ctx[contact.queue])
            if await self._offer(contact, chosen.presence.agent_id, out):
                del free[chosen.presence.agent_id]
            if not free:
                return

    async def _waiting_in_service_order(self) -> list[WaitingContact]:
        contacts: list[tuple[int, tuple[int, float, int], WaitingContact]] = []
        for name, queue in self.center.queues.items():
            contacts.extend(
                (-queue.priority, c.order_key(), c) for c in await self._store.waiting(name)
            )
        contacts.sort(key=lambda item: (item[0], item[1]))
        return [item[2] for item in contacts]

    async def _offer(self, contact: WaitingContact, agent_id: str, out: list[Output]) -> bool:
        now = self._now()
        reserved = await self._store.reserve_agent(agent_id, contact.call_id, now)
        if reserved is None:
            return False
        await self._store.update_waiting(with_offer(contact, agent_id))
        queue = self.center.queues[contact.queue]
        out.append(
            ev.AgentStateChanged(
                at=now,
                agent_id=agent_id,
                state=reserved.state,
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
        call = self._calls[contact.call_id]
        self._start_timer(
            call,
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
        self._cancel_timer(call, "ring")
        self._cancel_timer(call, "max-wait")
        agent = await self._store.get_agent(event.agent_id)
        assert agent is not None
        await self._set_state(
            agent, AgentState.ON_CALL, out, call_id=call.call_id, no_answer_streak=0
        )
        call.agent_id, call.connected_at, call.outcome = event.agent_id, event.at, "answered"
        assert call.first_queued_at is not None
        out.append(
            ev.CallConnected(
                at=event.at,
                call_id=call.call_id,
                agent_id=event.agent_id,
                queue=contact.queue,
                wait_s=event.at - call.first_queued_at,
            )
        )
        out.append(Bridge(call_id=call.call_id, agent_id=event.agent_id))

    async def _on_declined(self, event: ev.OfferDeclined, out: list[Output]) -> None:
        await self._ring_no_answer(event.call_id, event.agent_id, out)

    async def _on_ring_timeout(self, event: ev.RingTimedOut, out: list[Output]) -> None:
        await self._ring_no_answer(event.call_id, event.agent_id, out)

    async def _ring_no_answer(self, call_id: str, agent_id: str, out: list[Output]) -> None:
        contact = await self._store.get_waiting(call_id)
        if contact is None or contact.offered_to != agent_id:
            return
        call = self._calls[call_id]
        self._cancel_timer(call, "ring")
        await self._store.update_waiting(with_offer(contact, ""))
        out.append(CancelOffer(call_id=call_id, agent_id=agent_id))
        agent = await self._store.get_agent(agent_id)
        assert agent is not None
        ring_s = self._now() - agent.since
        out.append(
            ev.RingNoAnswer(
                at=self._now(),
                call_id=call_id,
                agent_id=agent_id,
                queue=contact.queue,
                ring_s=ring_s,
            )
        )
        streak = agent.no_answer_streak + 1
        limit = self.center.queues[contact.queue].auto_pause_after
        if limit and streak >= limit:
            await self._set_state(
                agent, AgentState.PAUSED, out, reason="no-answer", no_answer_streak=streak
            )
        else:
            await self._set_state(agent, AgentState.AVAILABLE, out, no_answer_streak=streak)
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
            assert call.first_queued_at is not None
            position = await self._position(contact)
            out.append(
                ev.CallAbandoned(
                    at=event.at,
                    call_id=call.call_id,
                    queue=contact.queue,
                    wait_s=event.at - call.first_queued_at,
                    position=position,
                )
            )
            await self._dispatch(out)
        self._finish(call, out)

    async def _position(self, contact: WaitingContact) -> int:
        ahead = [
            c
            for c in await self._store.waiting(contact.queue)
            if c.order_key() < contact.order_key()
        ]
        return len(ahead) + 1

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
        agent_done = replace(
            agent, calls_handled=agent.calls_handled + 1, talk_s=agent.talk_s + talk
        )
        wrap_s = self.center.queues[call.queue].wrap_up_s
        if wrap_s > 0:
            await self._set_state(agent_done, AgentState.WRAP_UP, out, call_id=call.call_id)
            self._start_timer(
                call,
                "wrap-up",
                wrap_s,
                lambda: ev.WrapUpExpired(
                    at=self._now(), agent_id=call.agent_id, call_id=call.call_id
                ),
            )
        else:
            await self._store.put_agent(agent_done)
            await self._end_wrap_up(call, agent_done, out)

    async def _on_wrap_up_expired(self, event: ev.WrapUpExpired, out: list[Output]) -> None:
        agent = await self._store.get_agent(event.agent_id)
        call = self._calls.get(event.call_id)
        if agent is None or call is None or agent.state is not AgentState.WRAP_UP:
            return
        await self._end_wrap_up(call, agent, out)

    async def _end_wrap_up(
        self, call: CallSession, agent: AgentPresence, out: list[Output]
    ) -> None:
        self._cancel_timer(call, "wrap-up")
        wrap_s = agent.time_in_state(self._now()) if agent.state is AgentState.WRAP_UP else 0.0
        out.append(
            ev.WrapUpEnded(
                at=self._now(), call_id=call.call_id, agent_id=agent.agent_id, wrap_s=wrap_s
            )
        )
        self._finish(call, out)
        await self._after_work(agent, out)
        await self._dispatch(out)

    def _finish(self, call: CallSession, out: list[Output]) -> None:
        for timer in call.timers.values():
            timer.cancel()
        self._calls.pop(call.call_id, None)
        out.append(ev.CallFinished(at=self._now(), call_id=call.call_id, outcome=call.outcome))

    # --- agents --------------------------------------------------------------------------------

    async def _agent(self, agent_id: str) -> AgentPresence | None:
        if agent_id not in self.center.agents:
            log.warning("unknown agent ignored", agent_id=agent_id)
            return None
        return await self._store.get_agent(agent_id) or AgentPresence(agent_id, since=self._now())

    async def _on_login(self, event: ev.AgentLoginRequested, out: list[Output]) -> None:
        agent = await self._agent(event.agent_id)
        if agent is not None and agent.state is AgentState.LOGGED_OUT:
            await self._set_state(agent, AgentState.AVAILABLE, out)
            await self._dispatch(out)

    async def _on_logout(self, event: ev.AgentLogoutRequested, out: list[Output]) -> None:
        agent = await self._agent(event.agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        if agent.state is AgentState.ON_CALL:
            await self._store.put_agent(replace(agent, pending_logout=True))
            return
        await self._release_agent(agent, out)
        agent = await self._store.get_agent(event.agent_id)
        assert agent is not None
        await self._set_state(agent, AgentState.LOGGED_OUT, out)

    async def _on_pause(self, event: ev.AgentPauseRequested, out: list[Output]) -> None:
        agent = await self._agent(event.agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        if agent.state in (AgentState.ON_CALL, AgentState.WRAP_UP):
            await self._store.put_agent(replace(agent, pending_pause=event.reason))
            return
        await self._release_agent(agent, out)
        agent = await self._store.get_agent(event.agent_id)
        assert agent is not None
        await self._set_state(agent, AgentState.PAUSED, out, reason=event.reason)

    async def _on_ready(self, event: ev.AgentReadyRequested, out: list[Output]) -> None:
        agent = await self._agent(event.agent_id)
        if agent is None:
            return
        if agent.state is AgentState.WRAP_UP:
            call = self._calls.get(agent.call_id)
            agent = replace(agent, pending_pause="", pending_logout=False)
            await self._store.put_agent(agent)
            if call is not None:
                await self._end_wrap_up(call, agent, out)
        elif agent.state is AgentState.PAUSED:
            await self._set_state(agent, AgentState.AVAILABLE, out, no_answer_streak=0)
            await self._dispatch(out)

    async def _release_agent(self, agent: AgentPresence, out: list[Output]) -> None:
        """Free an agent from a ringing offer or a wrap-up before they pause or log out."""
        if agent.state is AgentState.RESERVED:
            await self._ring_no_answer(agent.call_id, agent.agent_id, out)
        elif agent.state is AgentState.WRAP_UP and agent.call_id in self._calls:
            call = self._calls[agent.call_id]
            self._cancel_timer(call, "wrap-up")
            out.append(
                ev.WrapUpEnded(
                    at=self._now(),
                    call_id=call.call_id,
                    agent_id=agent.agent_id,
                    wrap_s=agent.time_in_state(self._now()),
                )
            )
            self._finish(call, out)

    async def _after_work(
        self, agent: AgentPresence, out: list[Output], *, keep_idle_since: bool = False
    ) -> None:
        """Where an agent goes when a contact is done: a pending pause or logout, else ready."""
        if agent.pending_logout:
            await self._set_state(agent, AgentState.LOGGED_OUT, out)
        elif agent.pending_pause:
            await self._set_state(agent, AgentState.PAUSED, out, reason=agent.pending_pause)
        elif keep_idle_since:
            await self._set_state(agent, AgentState.AVAILABLE, out, idle_since=agent.idle_since)
        else:
            await self._set_state(agent, AgentState.AVAILABLE, out)

    async def _set_state(
        self,
        agent: AgentPresence,
        to: AgentState,
        out: list[Output],
        *,
        reason: str = "",
        call_id: str = "",
        **counters: Any,
    ) -> AgentPresence:
        new = agent.transition(to, self._now(), reason=reason, call_id=call_id)
        if counters:
            new = replace(new, **counters)
        await self._store.put_agent(new)
        out.append(
            ev.AgentStateChanged(
                at=self._now(),
                agent_id=agent.agent_id,
                state=to,
                previous=agent.state,
                reason=reason,
                call_id=call_id,
            )
        )
        return new

    # --- timers --------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock.now()

    def _start_timer(
        self, call: CallSession, name: str, delay: float, make_event: Callable[[], ev.Event]
    ) -> None:
        self._cancel_timer(call, name)
        call.timers[name] = self._clock.call_later(delay, lambda: self._post(make_event()))

    def _cancel_timer(self, call: CallSession, name: str) -> None:
        timer = call.timers.pop(name, None)
        if timer is not None:
            timer.cancel()
