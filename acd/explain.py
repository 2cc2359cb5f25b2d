"""Explaining routing decisions: the candidates a strategy considered, ranked as it ranks them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from acd.events import CandidateView
from acd.strategies import Candidate
from config.center import Strategy

SHOWN_CANDIDATES = 10

_RANKING: dict[Strategy, Callable[[Candidate], tuple[float, ...]]] = {
    Strategy.LONGEST_IDLE: lambda c: (c.presence.idle_since,),
    Strategy.LEAST_TALK_TIME: lambda c: (c.presence.talk_s, c.presence.idle_since),
    Strategy.FEWEST_CALLS: lambda c: (c.presence.calls_handled, c.presence.idle_since),
    Strategy.SKILL_LEVEL_WEIGHTED: lambda c: (-c.level, c.presence.idle_since),
}


def _unranked(_candidate: Candidate) -> tuple[float, ...]:
    return (0.0,)


def candidate_views(
    strategy: Strategy, considered: Sequence[Candidate], chosen: tuple[str, ...], now: float
) -> tuple[CandidateView, ...]:
    """Up to ten candidates: the chosen first, then as the strategy ranks them."""
    if len(considered) == 1:  # an agent that became free: nothing to rank
        return (_view(considered[0], now),)
    rank = _RANKING.get(strategy, _unranked)
    ordered = sorted(
        considered,
        key=lambda c: (c.presence.agent_id not in chosen, *rank(c), c.presence.agent_id),
    )
    return tuple(_view(c, now) for c in ordered[:SHOWN_CANDIDATES])


def _view(candidate: Candidate, now: float) -> CandidateView:
    presence = candidate.presence
    return CandidateView(
        agent_id=presence.agent_id,
        level=candidate.level,
        idle_s=round(max(0.0, now - presence.idle_since), 3),
        calls=presence.calls_handled,
        talk_s=round(presence.talk_s, 3),
    )
