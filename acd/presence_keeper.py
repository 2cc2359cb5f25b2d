"""Presence bookkeeping for the engine: apply a state change, store it, and say so as an event."""

from __future__ import annotations

from typing import Any

import structlog

from acd import events as ev
from acd.calls import Output
from acd.clock import Clock
from acd.presence import AgentPresence, AgentState, with_changes
from acd.state import StateStore
from config.center import Center

log = structlog.get_logger(__name__)


class PresenceKeeper:
    """Changes agents' presence in the store and records each change as `AgentStateChanged`."""

    def __init__(self, center: Center, store: StateStore, clock: Clock) -> None:
        self._center = center
        self._store = store
        self._clock = clock

    async def lookup(self, agent_id: str) -> AgentPresence | None:
        """A configured agent's presence (LOGGED_OUT if never seen); None for unknown agents."""
        if agent_id not in self._center.agents:
            log.warning("unknown agent ignored", agent_id=agent_id)
            return None
        stored = await self._store.get_agent(agent_id)
        return stored or AgentPresence(agent_id, since=self._clock.now())

    async def set_state(
        self,
        agent: AgentPresence,
        to: AgentState,
        out: list[Output],
        *,
        reason: str = "",
        call_id: str = "",
        **counters: Any,
    ) -> AgentPresence:
        """Move the agent to `to`, store it, and append the event."""
        new = self.change(agent, to, out, reason=reason, call_id=call_id, **counters)
        await self._store.put_agent(new)
        return new

    def change(
        self,
        agent: AgentPresence,
        to: AgentState,
        out: list[Output],
        *,
        reason: str = "",
        call_id: str = "",
        **counters: Any,
    ) -> AgentPresence:
        """The agent moved to `to`, with the event appended; the caller stores it."""
        now = self._clock.now()
        new = agent.transition(to, now, reason=reason, call_id=call_id)
        if counters:
            new = with_changes(new, **counters)
        out.append(
            ev.AgentStateChanged(
                at=now,
                agent_id=agent.agent_id,
                state=to,
                previous=agent.state,
                reason=reason,
                call_id=call_id,
            )
        )
        return new

    async def after_work(
        self, agent: AgentPresence, out: list[Output], *, keep_idle_since: bool = False
    ) -> AgentPresence:
        """Where an agent goes when a contact is done: a pending logout or pause, else ready.

        `keep_idle_since` keeps the agent's place in longest-idle order (the contact went away
        before the agent worked on it).
        """
        if agent.pending_logout:
            return await self.set_state(agent, AgentState.LOGGED_OUT, out)
        if agent.pending_pause:
            return await self.set_state(agent, AgentState.PAUSED, out, reason=agent.pending_pause)
        if keep_idle_since:
            return await self.set_state(
                agent, AgentState.AVAILABLE, out, idle_since=agent.idle_since
            )
        return await self.set_state(agent, AgentState.AVAILABLE, out)
