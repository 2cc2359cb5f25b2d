"""Who qualifies for which queue: agents whose skills meet a queue's minimum levels. Pure."""

from __future__ import annotations

from acd.strategies import skill_level
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
