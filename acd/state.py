"""The `StateStore`: where presence and waiting contacts live, so they outlive any one object.

The in-memory store is the embedded default (one process). A Redis store with the same contract
lets several processes share the state; `reserve_agent` is the one operation that must be atomic.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from typing import NamedTuple, Protocol

from acd.contacts import WaitingContact, with_offer
from acd.presence import AgentPresence, AgentState


class QueueChoice(NamedTuple):
    """A queue an agent serves, for `take_best`: how it ranks and whom a claim names."""

    queue: str
    priority: int  # higher queue priority is served first
    claim_as: str  # the agent id, or a marker for a ring-all offer


class StateStore(Protocol):
    """Agent presence and waiting contacts, shared by every engine that routes for a center."""

    async def get_agent(self, agent_id: str) -> AgentPresence | None:
        """The agent's presence, or None if it was never stored."""

    async def put_agent(self, presence: AgentPresence) -> None:
        """Store an agent's presence."""

    async def agents(self) -> list[AgentPresence]:
        """Every stored agent."""

    async def available_agents(self, among: Collection[str] | None = None) -> list[AgentPresence]:
        """Agents in AVAILABLE state (only those in `among`, when given)."""

    async def reserve_agent(self, agent_id: str, call_id: str, at: float) -> AgentPresence | None:
        """Atomically move an AVAILABLE agent to RESERVED for `call_id`; None if not available."""

    async def add_waiting(self, contact: WaitingContact) -> int:
        """Add a contact to its queue; returns its 1-based position."""

    async def update_waiting(self, contact: WaitingContact) -> None:
        """Replace a waiting contact (same call id and queue)."""

    async def remove_waiting(self, call_id: str) -> WaitingContact | None:
        """Take a contact out of its queue; None if it was not waiting."""

    async def get_waiting(self, call_id: str) -> WaitingContact | None:
        """A waiting contact by call id."""

    async def waiting(self, queue: str) -> list[WaitingContact]:
        """A queue's contacts in service order."""

    async def head(self, queue: str, limit: int) -> list[WaitingContact]:
        """The first `limit` contacts of a queue in service order (cheap: no full listing)."""

    async def firsts(self, queues: Sequence[str]) -> list[WaitingContact | None]:
        """The first contact of each queue that is not being offered (None where there is
        none), in one call."""

    async def position(self, call_id: str) -> int | None:
        """A waiting contact's 1-based position in its queue; None if it is not waiting."""

    async def count_waiting(self, queue: str) -> int:
        """How many contacts wait in a queue."""

    async def claim_contact(self, call_id: str, expected: str, agent_id: str) -> bool:
        """Atomically set who the contact is offered to, if it is still `expected`.

        `claim_contact(c, "", a)` offers to `a` only if no one else has it; `claim_contact(c, a,
        "")` gives it back. False (and no change) when the contact is gone or held by another.
        """

    async def take_best(
        self, presence: AgentPresence, choices: Sequence[QueueChoice], now: float
    ) -> tuple[WaitingContact, AgentPresence] | None:
        """Store the agent's presence; if it is AVAILABLE, atomically give it the best contact.

        The best is, over the queues in `choices`, the first contact in line not being offered
        and not waiting for another agent by name, ranked by (-priority, score, seq). It is
        claimed as its queue's `claim_as` and the agent is reserved for it (as `reserve_agent`
        at `now`). Returns the claimed contact and the reserved presence, or None (the
        presence is stored all the same). One atomic step: one Redis round trip.
        """

    async def next_seq(self) -> int:
        """A number that increases with every call, to break ties between equal enqueue times."""

    async def close(self) -> None:
        """Release connections (the state itself stays where it is kept)."""


class MemoryStateStore:
    """The embedded `StateStore`: plain dictionaries, one process."""

    def __init__(self) -> None:
        self._agents: dict[str, AgentPresence] = {}
        self._available: dict[str, AgentPresence] = {}
        self._by_call: dict[str, WaitingContact] = {}
        self._queues: dict[str, list[tuple[tuple[float, int], str]]] = {}
        self._seq = 0

    async def get_agent(self, agent_id: str) -> AgentPresence | None:
        """The agent's presence, or None."""
        return self._agents.get(agent_id)

    async def put_agent(self, presence: AgentPresence) -> None:
        """Store an agent's presence."""
        self._agents[presence.agent_id] = presence
        if presence.state is AgentState.AVAILABLE:
            self._available[presence.agent_id] = presence
        else:
            self._available.pop(presence.agent_id, None)

    async def agents(self) -> list[AgentPresence]:
        """Every stored agent."""
        return list(self._agents.values())

    async def available_agents(self, among: Collection[str] | None = None) -> list[AgentPresence]:
        """Agents in AVAILABLE state (only those in `among`, when given)."""
        if among is None:
            return list(self._available.values())
        return [agent for agent_id, agent in self._available.items() if agent_id in among]

    async def reserve_agent(self, agent_id: str, call_id: str, at: float) -> AgentPresence | None:
        """Move an AVAILABLE agent to RESERVED (atomic: nothing else runs in between)."""
        current = self._available.get(agent_id)
        if current is None:
            return None
        reserved = current.transition(AgentState.RESERVED, at, call_id=call_id)
        await self.put_agent(reserved)
        return reserved

    async def add_waiting(self, contact: WaitingContact) -> int:
        """Insert in service order; returns the 1-based position."""
        waiting = self._by_call.get(contact.call_id)
        if waiting is not None:
            raise ValueError(
                f"call {contact.call_id} is already waiting in {waiting.queue}; remove it first"
            )
        entries = self._queues.setdefault(contact.queue, [])
        entry = (contact.order_key(), contact.call_id)
        position = bisect.bisect_left(entries, entry)
        entries.insert(position, entry)
        self._by_call[contact.call_id] = contact
        return position + 1

    async def update_waiting(self, contact: WaitingContact) -> None:
        """Replace a contact; its place in the queue does not change."""
        old = self._by_call[contact.call_id]
        if old.order_key() != contact.order_key() or old.queue != contact.queue:
            raise ValueError("update_waiting cannot move a contact; remove and add it instead")
        self._by_call[contact.call_id] = contact

    async def remove_waiting(self, call_id: str) -> WaitingContact | None:
        """Take a contact out of its queue."""
        contact = self._by_call.pop(call_id, None)
        if contact is not None:
            entries = self._queues[contact.queue]
            index = bisect.bisect_left(entries, (contact.order_key(), call_id))
            del entries[index]
        return contact

    async def get_waiting(self, call_id: str) -> WaitingContact | None:
        """A waiting contact by call id."""
        return self._by_call.get(call_id)

    async def waiting(self, queue: str) -> list[WaitingContact]:
        """A queue's contacts in service order."""
        return [self._by_call[call_id] for _, call_id in self._queues.get(queue, [])]

    async def head(self, queue: str, limit: int) -> list[WaitingContact]:
        """The first `limit` contacts in service order."""
        entries = self._queues.get(queue)
        if not entries:
            return []
        by_call = self._by_call
        return [by_call[entry[1]] for entry in entries[:limit]]

    async def firsts(self, queues: Sequence[str]) -> list[WaitingContact | None]:
        """The first contact of each queue that is not being offered."""
        return [self._first_free(queue) for queue in queues]

    def _first_free(self, queue: str) -> WaitingContact | None:
        by_call = self._by_call
        for _, call_id in self._queues.get(queue, ()):
            contact = by_call[call_id]
            if not contact.offered_to:
                return contact
        return None

    async def position(self, call_id: str) -> int | None:
        """1-based position in its queue."""
        contact = self._by_call.get(call_id)
        if contact is None:
            return None
        entries = self._queues[contact.queue]
        return bisect.bisect_left(entries, (contact.order_key(), call_id)) + 1

    async def count_waiting(self, queue: str) -> int:
        """How many wait in the queue."""
        return len(self._queues.get(queue, []))

    async def claim_contact(self, call_id: str, expected: str, agent_id: str) -> bool:
        """Compare-and-set of `offered_to` (atomic: nothing else runs in between)."""
        contact = self._by_call.get(call_id)
        if contact is None or contact.offered_to != expected:
            return False
        self._by_call[call_id] = with_offer(contact, agent_id)
        return True

    async def take_best(
        self, presence: AgentPresence, choices: Sequence[QueueChoice], now: float
    ) -> tuple[WaitingContact, AgentPresence] | None:
        """Store the presence; claim the best contact for it and reserve it (atomic)."""
        await self.put_agent(presence)
        if presence.state is not AgentState.AVAILABLE:
            return None
        agent_id = presence.agent_id
        best: WaitingContact | None = None
        best_rank: tuple[int, float, int] = (0, 0.0, 0)
        claim_as = ""
        for choice in choices:
            contact = self._first_offerable(choice.queue, agent_id, now)
            if contact is None:
                continue
            rank = (-choice.priority, contact.score, contact.seq)
            if best is None or rank < best_rank:
                best, best_rank, claim_as = contact, rank, choice.claim_as
        if best is None:
            return None
        claimed = with_offer(best, claim_as)
        self._by_call[best.call_id] = claimed
        reserved = presence.transition(AgentState.RESERVED, now, call_id=best.call_id)
        await self.put_agent(reserved)
        return claimed, reserved

    def _first_offerable(self, queue: str, agent_id: str, now: float) -> WaitingContact | None:
        by_call = self._by_call
        for _, call_id in self._queues.get(queue, ()):
            contact = by_call[call_id]
            if not contact.offered_to and not contact.prefers(agent_id, now):
                return contact
        return None

    async def next_seq(self) -> int:
        """An increasing tie-breaker."""
        self._seq += 1
        return self._seq

    async def close(self) -> None:
        """Nothing to release."""
