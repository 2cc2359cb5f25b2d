"""Agents' requests to the routing engine: log in and out, pause with a reason, become ready,
end or extend wrap-up. A request that cannot be honoured is answered with `AgentRequestRefused`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from acd import events as ev
from acd.calls import CallSession, Output
from acd.commands import CancelOffer
from acd.contacts import WaitingContact
from acd.presence import AgentPresence, AgentState

if TYPE_CHECKING:
    from acd.engine import Engine

SYSTEM_PAUSE_REASONS = frozenset({"no-answer"})
_HOLDING_A_CALL = (AgentState.ON_CALL, AgentState.WRAP_UP)


class AgentDesk:
    """Handles agents' presence requests for the engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._store = engine.store
        self._presence = engine.presence
        self._dispatch = engine.dispatch

    def handlers(self) -> dict[type[ev.Event], Callable[[Any, list[Output]], Awaitable[None]]]:
        """The events this desk handles."""
        return {
            ev.AgentLoginRequested: self._on_login,
            ev.AgentLogoutRequested: self._on_logout,
            ev.AgentPauseRequested: self._on_pause,
            ev.AgentReadyRequested: self._on_ready,
            ev.AgentWrapUpExtendRequested: self._on_extend,
            ev.WrapUpExpired: self._on_wrap_up_expired,
        }

    def _refuse(self, agent_id: str, request: str, reason: str, out: list[Output]) -> None:
        out.append(
            ev.AgentRequestRefused(
                at=self._engine.now(), agent_id=agent_id, request=request, reason=reason
            )
        )

    async def _on_login(self, event: ev.AgentLoginRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is None:
            self._refuse(event.agent_id, "login", "unknown agent", out)
        elif agent.state is AgentState.LOGGED_OUT:
            await self._dispatch.make_available(agent, out)

    async def _on_logout(self, event: ev.AgentLogoutRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        if agent.state is AgentState.ON_CALL:
            await self._store.put_agent(replace(agent, pending_logout=True))
            return
        contact = await self._release(agent, out)
        await self._presence.set_state(agent, AgentState.LOGGED_OUT, out)
        await self.after_leaving(agent.agent_id, contact, out)

    async def _on_pause(self, event: ev.AgentPauseRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        reasons = self._engine.center.center.pause_reasons
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            self._refuse(event.agent_id, "pause", "not logged in", out)
        elif event.reason not in reasons and event.reason not in SYSTEM_PAUSE_REASONS:
            self._refuse(
                event.agent_id,
                "pause",
                f"unknown pause reason {event.reason!r}; use one of {', '.join(reasons)}",
                out,
            )
        elif agent.state in _HOLDING_A_CALL:
            await self._store.put_agent(replace(agent, pending_pause=event.reason))
        else:
            contact = await self._release(agent, out)
            await self._presence.set_state(agent, AgentState.PAUSED, out, reason=event.reason)
            await self.after_leaving(agent.agent_id, contact, out)

    async def _on_ready(self, event: ev.AgentReadyRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        if agent is None:
            return
        call = self._engine.call(agent.call_id)
        if agent.state is AgentState.WRAP_UP and call is not None:
            agent = replace(agent, pending_pause="", pending_logout=False)
            await self._store.put_agent(agent)
            await self.end_wrap_up(call, agent, out)
        elif agent.state is AgentState.PAUSED:
            await self._dispatch.make_available(agent, out, no_answer_streak=0)

    async def _on_extend(self, event: ev.AgentWrapUpExtendRequested, out: list[Output]) -> None:
        agent = await self._presence.lookup(event.agent_id)
        call = self._engine.call(agent.call_id) if agent else None
        if agent is None or call is None or agent.state is not AgentState.WRAP_UP:
            self._refuse(event.agent_id, "extend-wrap-up", "not in wrap-up", out)
        elif call.wrap_extended:
            self._refuse(event.agent_id, "extend-wrap-up", "wrap-up was already extended", out)
        else:
            call.wrap_extended = True
            self._engine.start_wrap_up_timer(call, self._engine.center.queues[call.queue].wrap_up_s)

    async def _on_wrap_up_expired(self, event: ev.WrapUpExpired, out: list[Output]) -> None:
        agent = await self._store.get_agent(event.agent_id)
        call = self._engine.call(event.call_id)
        if agent is not None and call is not None and agent.state is AgentState.WRAP_UP:
            await self.end_wrap_up(call, agent, out)

    async def end_wrap_up(self, call: CallSession, agent: AgentPresence, out: list[Output]) -> None:
        """Close the call's wrap-up and send the agent where it goes next."""
        self._close_wrap_up(call, agent, out)
        if agent.pending_logout or agent.pending_pause:  # asked for during the call: now
            await self._presence.after_work(agent, out)
            await self.after_leaving(agent.agent_id, None, out)
        else:
            await self._dispatch.make_available(agent, out)

    def _close_wrap_up(self, call: CallSession, agent: AgentPresence, out: list[Output]) -> None:
        now = self._engine.now()
        wrap_s = agent.time_in_state(now) if agent.state is AgentState.WRAP_UP else 0.0
        out.append(
            ev.WrapUpEnded(at=now, call_id=call.call_id, agent_id=agent.agent_id, wrap_s=wrap_s)
        )
        self._engine.finish(call, out)

    async def _release(self, agent: AgentPresence, out: list[Output]) -> WaitingContact | None:
        """Free the agent from a ringing offer or a wrap-up; the contact it rang, to re-offer."""
        call = self._engine.call(agent.call_id)
        if agent.state is AgentState.WRAP_UP and call is not None:
            self._close_wrap_up(call, agent, out)
            return None
        contact = await self._store.get_waiting(agent.call_id) if agent.call_id else None
        if agent.state is not AgentState.RESERVED or contact is None:
            return None
        members = self._dispatch.ringing_all.get(contact.call_id)
        if members is not None and members - {agent.agent_id}:
            members.discard(agent.agent_id)  # the others keep ringing
            out.append(CancelOffer(call_id=contact.call_id, agent_id=agent.agent_id))
            return None
        if call is not None:
            call.cancel_timer("ring")
        await self._dispatch.withdraw(contact, out)
        return await self._store.get_waiting(contact.call_id)

    async def after_leaving(
        self, agent_id: str, contact: WaitingContact | None, out: list[Output]
    ) -> None:
        """Re-offer what the agent was ringing for; release callers waiting for it by name;
        empty queues that must not keep callers without agents."""
        if contact is not None:
            await self._dispatch.offer_contact(contact, out)
        for call_id in sorted(self._dispatch.waiting_for.pop(agent_id, set())):
            waiting = await self._store.get_waiting(call_id)
            if waiting is not None:
                await self._engine.care.drop_preference(waiting, out)
        for queue in self._dispatch.queues_of_agent.get(agent_id, []):
            if self._engine.center.queues[queue].leave_empty and not (
                await self._engine.status.is_staffed(queue)
            ):
                await self._engine.overflow_waiting(queue, out)

    async def recover(self, out: list[Output]) -> None:
        """After a restart: agents held by calls that are gone become free (or their pending
        pause or logout); paused and available agents stay as they were."""
        for agent in await self._store.agents():
            if agent.is_busy and self._engine.call(agent.call_id) is None:
                await self._presence.after_work(agent, out)
        for agent in await self._store.available_agents():
            await self._dispatch.serve_agent(agent.agent_id, out)
