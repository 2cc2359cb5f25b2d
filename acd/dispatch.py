"""Matching waiting contacts with free agents, one change at a time.

A match can only become possible when one side changes, so there are two entry points: a contact
became offerable (`offer_contact`: choose among the free qualified agents by the queue's
strategy), or an agent became free (`serve_agent`: the agent takes the best contact at the head of
the queues it serves, after any caller waiting for it by name). Neither scans every waiting
contact, so a decision costs the same with 100 or 100,000 contacts waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acd import events as ev
from acd.calls import Output
from acd.clock import Clock
from acd.commands import CancelOffer, OfferToAgent
from acd.contacts import WaitingContact
from acd.explain import candidate_views
from acd.matching import qualified_levels
from acd.presence import AgentPresence, AgentState
from acd.presence_keeper import PresenceKeeper
from acd.state import QueueChoice, StateStore
from acd.strategies import Candidate, StrategyContext, pick_agent
from config.center import Center, Strategy

RING_ALL = "*ring-all"
_FREED = "the agent became free: the first contact in line it can serve"
HEAD_BATCH = 8
RingTimer = Callable[[str, str, float], None]


class Dispatcher:
    """Offers contacts to agents; owns the qualification tables and the strategies' memory."""

    def __init__(
        self,
        center: Center,
        store: StateStore,
        clock: Clock,
        presence: PresenceKeeper,
        contexts: dict[str, StrategyContext],
        ring_timer: RingTimer,
    ) -> None:
        self._center = center
        self._store = store
        self._clock = clock
        self._presence = presence
        self._contexts = contexts
        self._ring_timer = ring_timer
        self.levels = qualified_levels(center)
        self.queues_of_agent: dict[str, list[str]] = {agent: [] for agent in center.agents}
        for name in sorted(center.queues, key=lambda q: -center.queues[q].priority):
            for agent_id in self.levels[name]:
                self.queues_of_agent[agent_id].append(name)
        self._queue_rank = {name: -queue.priority for name, queue in center.queues.items()}
        self._choices = {
            agent_id: [
                QueueChoice(
                    name,
                    center.queues[name].priority,
                    RING_ALL if center.queues[name].strategy is Strategy.RING_ALL else agent_id,
                )
                for name in queues
            ]
            for agent_id, queues in self.queues_of_agent.items()
        }
        self.waiting_for: dict[str, set[str]] = {}
        self.ringing_all: dict[str, set[str]] = {}

    # --- a contact can be offered ------------------------------------------------------------

    async def offer_contact(
        self, contact: WaitingContact, out: list[Output], *, exclude: frozenset[str] = frozenset()
    ) -> None:
        """Offer the contact to the free agent its queue's strategy picks (all, for ring-all),
        leaving out the agents in `exclude`."""
        levels = self.levels[contact.queue]
        now = self._clock.now()
        qualified = [
            Candidate(agent, levels[agent.agent_id])
            for agent in await self._store.available_agents(among=levels)
            if not contact.prefers(agent.agent_id, now) and agent.agent_id not in exclude
        ]
        if not qualified or contact.offered_to:
            return
        strategy = self._center.queues[contact.queue].strategy
        if strategy is Strategy.RING_ALL:
            await self._ring_all(contact, qualified, out)
            return
        preferred = [c for c in qualified if c.presence.agent_id == contact.preferred_agent]
        if preferred:
            await self._offer(contact, preferred[0], qualified, "the caller's preferred agent", out)
            return
        chosen = pick_agent(strategy, qualified, self._contexts[contact.queue])
        reason = f"{strategy} among {len(qualified)} free qualified agents"
        await self._offer(contact, chosen, qualified, reason, out)

    # --- an agent became free ----------------------------------------------------------------

    async def make_available(
        self, agent: AgentPresence, out: list[Output], **counters: Any
    ) -> None:
        """The agent becomes AVAILABLE and takes the best contact it can serve, if any.

        Usually one atomic store step (`take_best`: one Redis round trip). Callers waiting for
        the agent by name, or a ring-all offer it could join, take the longer way.
        """
        agent_id = agent.agent_id
        free = self._presence.change(agent, AgentState.AVAILABLE, out, **counters)
        if self.waiting_for.get(agent_id) or self.ringing_all:
            await self._store.put_agent(free)
            await self.serve_agent(agent_id, out, free)
            return
        taken = await self._store.take_best(free, self._choices[agent_id], self._clock.now())
        if taken is None:
            return
        contact, reserved = taken
        queue = self._center.queues[contact.queue]
        self._announce_ring(contact, agent_id, out)
        if contact.offered_to == RING_ALL:
            self.ringing_all[contact.call_id] = {agent_id}
            self._ring_timer(contact.call_id, RING_ALL, queue.ring_timeout_s)
        else:
            self._ring_timer(contact.call_id, agent_id, queue.ring_timeout_s)
        me = Candidate(reserved, self.levels[contact.queue][agent_id])
        self._explain(contact, (agent_id,), [me], _FREED, out)

    async def serve_agent(
        self, agent_id: str, out: list[Output], agent: AgentPresence | None = None
    ) -> None:
        """Give a free agent the caller waiting for it, else the best head it can serve (or a
        place in a ring-all offer that is already ringing, if that contact is the best)."""
        if agent is None:
            agent = await self._store.get_agent(agent_id)
        if agent is None or agent.state is not AgentState.AVAILABLE:
            return
        reason = "a caller waiting for this agent by name"
        best = await self._best_waiting_for(agent_id)
        if best is None:
            reason = _FREED
            best = await self._best_head(agent_id)
            group = await self._ring_all_to_join(agent_id, best)
            if group is not None:
                await self._join_ring_all(group, agent, out)
                return
        if best is None:
            return
        me = Candidate(agent, self.levels[best.queue][agent_id])
        if self._center.queues[best.queue].strategy is Strategy.RING_ALL:
            await self._ring_all(best, [me], out)  # this agent alone: others join when free
            return
        await self._offer(best, me, [me], reason, out)

    async def _best_waiting_for(self, agent_id: str) -> WaitingContact | None:
        best: WaitingContact | None = None
        now = self._clock.now()
        for call_id in list(self.waiting_for.get(agent_id, ())):
            contact = await self._store.get_waiting(call_id)
            if contact is None or contact.preferred_until <= now:
                self.waiting_for[agent_id].discard(call_id)
            elif not contact.offered_to and (
                best is None or self._rank(contact) < self._rank(best)
            ):
                best = contact
        return best

    async def _best_head(self, agent_id: str) -> WaitingContact | None:
        queues = self.queues_of_agent.get(agent_id, [])
        if not queues:
            return None
        best: WaitingContact | None = None
        now = self._clock.now()
        for queue, first in zip(queues, await self._store.firsts(queues), strict=True):
            candidate = first
            if first is not None and first.prefers(agent_id, now):
                candidate = await self._first_offerable(queue, agent_id)  # look further in line
            if candidate is not None and (best is None or self._rank(candidate) < self._rank(best)):
                best = candidate
        return best

    async def _first_offerable(self, queue: str, agent_id: str) -> WaitingContact | None:
        now, limit = self._clock.now(), 1  # the first in line is nearly always the one
        while True:
            contacts = await self._store.head(queue, limit)
            for contact in contacts:
                if not contact.offered_to and not contact.prefers(agent_id, now):
                    return contact
            if len(contacts) < limit:
                return None
            limit *= HEAD_BATCH

    def _rank(self, contact: WaitingContact) -> tuple[int, float, int]:
        return (self._queue_rank[contact.queue], contact.score, contact.seq)

    async def _ring_all_to_join(
        self, agent_id: str, best: WaitingContact | None
    ) -> WaitingContact | None:
        """A ring-all contact already ringing others that this agent should ring for too: one
        of its queues, not waiting for someone else by name, and ahead of `best`."""
        joinable: WaitingContact | None = None
        now = self._clock.now()
        for call_id, members in list(self.ringing_all.items()):
            contact = await self._store.get_waiting(call_id)
            if (
                contact is None
                or agent_id in members
                or agent_id not in self.levels[contact.queue]
                or contact.prefers(agent_id, now)
            ):
                continue
            if joinable is None or self._rank(contact) < self._rank(joinable):
                joinable = contact
        if joinable is None or (best is not None and self._rank(best) < self._rank(joinable)):
            return None
        return joinable

    async def _join_ring_all(
        self, contact: WaitingContact, agent: AgentPresence, out: list[Output]
    ) -> None:
        if await self._ring(contact, agent.agent_id, out):
            self.ringing_all[contact.call_id].add(agent.agent_id)
            me = Candidate(agent, self.levels[contact.queue][agent.agent_id])
            self._explain(contact, (agent.agent_id,), [me], "ring-all: joins the ringing", out)

    # --- offering ------------------------------------------------------------------------------

    async def _offer(
        self,
        contact: WaitingContact,
        chosen: Candidate,
        considered: list[Candidate],
        reason: str,
        out: list[Output],
    ) -> bool:
        agent_id = chosen.presence.agent_id
        if not await self._store.claim_contact(contact.call_id, "", agent_id):
            return False
        if not await self._ring(contact, agent_id, out):
            await self._store.claim_contact(contact.call_id, agent_id, "")
            return False
        self._explain(contact, (agent_id,), considered, reason, out)
        queue = self._center.queues[contact.queue]
        self._ring_timer(contact.call_id, agent_id, queue.ring_timeout_s)
        return True

    async def _ring(self, contact: WaitingContact, agent_id: str, out: list[Output]) -> bool:
        if await self._store.reserve_agent(agent_id, contact.call_id, self._clock.now()) is None:
            return False
        self._announce_ring(contact, agent_id, out)
        return True

    def _announce_ring(self, contact: WaitingContact, agent_id: str, out: list[Output]) -> None:
        """The agent is reserved for the contact: say so, and ring its phone."""
        now = self._clock.now()
        queue = self._center.queues[contact.queue]
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
                extension=self._center.agents[agent_id].extension,
                queue=contact.queue,
                ring_timeout_s=queue.ring_timeout_s,
            )
        )

    async def _ring_all(
        self, contact: WaitingContact, qualified: list[Candidate], out: list[Output]
    ) -> None:
        if not await self._store.claim_contact(contact.call_id, "", RING_ALL):
            return
        ringing = {
            c.presence.agent_id
            for c in qualified
            if await self._ring(contact, c.presence.agent_id, out)
        }
        if not ringing:
            await self._store.claim_contact(contact.call_id, RING_ALL, "")
            return
        self.ringing_all[contact.call_id] = ringing
        self._explain(contact, tuple(sorted(ringing)), qualified, "ring-all: every free agent", out)
        self._ring_timer(
            contact.call_id, RING_ALL, self._center.queues[contact.queue].ring_timeout_s
        )

    def _explain(
        self,
        contact: WaitingContact,
        chosen: tuple[str, ...],
        considered: list[Candidate],
        reason: str,
        out: list[Output],
    ) -> None:
        if not self._center.center.explain_routing:
            return
        strategy = self._center.queues[contact.queue].strategy
        now = self._clock.now()
        out.append(
            ev.RoutingDecision(
                at=now,
                call_id=contact.call_id,
                queue=contact.queue,
                strategy=str(strategy),
                chosen=chosen,
                reason=reason,
                considered=len(considered),
                candidates=candidate_views(strategy, considered, chosen, now),
            )
        )

    # --- withdrawing offers --------------------------------------------------------------------

    async def withdraw(self, contact: WaitingContact, out: list[Output]) -> list[AgentPresence]:
        """Stop every phone ringing for the contact; the agents it rang (still RESERVED)."""
        if not contact.offered_to:
            return []
        members = self.ringing_all.pop(contact.call_id, {contact.offered_to} - {RING_ALL})
        await self._store.claim_contact(contact.call_id, contact.offered_to, "")
        rang: list[AgentPresence] = []
        for agent_id in sorted(members):
            out.append(CancelOffer(call_id=contact.call_id, agent_id=agent_id))
            agent = await self._store.get_agent(agent_id)
            if agent is not None and agent.state is AgentState.RESERVED:
                rang.append(agent)
        return rang

    async def answered_by(self, contact: WaitingContact, agent_id: str, out: list[Output]) -> bool:
        """Settle who got the contact; False if `agent_id` was not (or no longer) ringing for it."""
        members = self.ringing_all.pop(contact.call_id, None)
        if members is None:
            return contact.offered_to == agent_id
        if agent_id not in members:
            self.ringing_all[contact.call_id] = members
            return False
        await self._store.claim_contact(contact.call_id, RING_ALL, agent_id)
        for other in sorted(members - {agent_id}):
            out.append(CancelOffer(call_id=contact.call_id, agent_id=other))
            agent = await self._store.get_agent(other)
            if agent is not None and agent.state is AgentState.RESERVED:
                await self._presence.after_work(agent, out, keep_idle_since=True)
                await self.serve_agent(other, out)
        return True

    def is_ringing(self, contact: WaitingContact, agent_id: str) -> bool:
        """True if the contact rings this agent's phone (alone or as one of a ring-all group)."""
        if contact.offered_to == RING_ALL:
            return agent_id in self.ringing_all.get(contact.call_id, set())
        return contact.offered_to == agent_id
