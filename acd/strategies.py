"""Queue strategies: how a queue chooses among qualified, available agents. Pure functions."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from acd.presence import AgentPresence
from config.center import Strategy


@dataclass(frozen=True, slots=True)
class Candidate:
    """An available agent who qualifies for the queue, with their level in its skills."""

    presence: AgentPresence
    level: int


@dataclass(slots=True)
class StrategyContext:
    """What some strategies remember or draw on between decisions."""

    rng: random.Random
    last_picked: str = ""


def _longest_idle(candidates: Sequence[Candidate], _ctx: StrategyContext) -> Candidate:
    return min(candidates, key=lambda c: (c.presence.idle_since, c.presence.agent_id))


def _least_talk_time(candidates: Sequence[Candidate], _ctx: StrategyContext) -> Candidate:
    return min(candidates, key=lambda c: (c.presence.talk_s, c.presence.idle_since))


def _fewest_calls(candidates: Sequence[Candidate], _ctx: StrategyContext) -> Candidate:
    return min(candidates, key=lambda c: (c.presence.calls_handled, c.presence.idle_since))


def _skill_weighted(candidates: Sequence[Candidate], _ctx: StrategyContext) -> Candidate:
    return min(candidates, key=lambda c: (-c.level, c.presence.idle_since))


def _round_robin(candidates: Sequence[Candidate], ctx: StrategyContext) -> Candidate:
    ordered = sorted(candidates, key=lambda c: c.presence.agent_id)
    after = [c for c in ordered if c.presence.agent_id > ctx.last_picked]
    return (after or ordered)[0]


def _random(candidates: Sequence[Candidate], ctx: StrategyContext) -> Candidate:
    return ctx.rng.choice(list(candidates))


PICKERS: dict[Strategy, Callable[[Sequence[Candidate], StrategyContext], Candidate]] = {
    Strategy.LONGEST_IDLE: _longest_idle,
    Strategy.LEAST_TALK_TIME: _least_talk_time,
    Strategy.FEWEST_CALLS: _fewest_calls,
    Strategy.SKILL_LEVEL_WEIGHTED: _skill_weighted,
    Strategy.ROUND_ROBIN: _round_robin,
    Strategy.RANDOM: _random,
}


def pick_agent(
    strategy: Strategy, candidates: Sequence[Candidate], ctx: StrategyContext
) -> Candidate:
    """The candidate the strategy chooses (candidates must not be empty)."""
    picker = PICKERS.get(strategy)
    if picker is None:
        raise ValueError(f"strategy {strategy} is not available")
    chosen = picker(candidates, ctx)
    ctx.last_picked = chosen.presence.agent_id
    return chosen


def skill_level(agent_skills: dict[str, int], required: dict[str, int]) -> int | None:
    """The agent's summed level in the required skills, or None if any minimum is not met."""
    total = 0
    for skill, minimum in required.items():
        level = agent_skills.get(skill, 0)
        if level < minimum:
            return None
        total += level
    return total
