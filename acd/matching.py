"""Matching waiting contacts with agents: who qualifies for which queue, and service order. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from acd.contacts import WaitingContact
from acd.presence import AgentPresence
from acd.strategies import Candidate, skill_level
from config.center import Center


def qualified_levels(center: Center) -> dict[str, dict[str, int]]:
    """Per queue: the agents whose skills meet its minimums, with their summed level."""
    return {
        name: {
            agent_id: level
            for agent_id, agent in center.agents.items()
            if (level := skill_level(agent.skills, queue.skills)) is not None
        }
        for name, queue in center.queues.items()
    }


def service_order(
    center: Center, waiting: Mapping[str, list[WaitingContact]]
) -> list[WaitingContact]:
    """Every waiting contact: higher queue priority first, then the queue's own order."""
    keyed = [
        ((-center.queues[name].priority, *contact.order_key()), contact)
        for name, contacts in waiting.items()
        for contact in contacts
    ]
    keyed.sort(key=lambda item: item[0])
    return [contact for _, contact in keyed]


def candidates(levels: Mapping[str, int], free: Mapping[str, AgentPresence]) -> list[Candidate]:
    """The free agents who qualify, given a queue's qualified levels."""
    return [
        Candidate(free[agent_id], level) for agent_id, level in levels.items() if agent_id in free
    ]
