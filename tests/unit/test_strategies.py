"""Queue strategies on small hand-built candidate lists, ties included, and the skill-level rule."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from acd.presence import AgentPresence, AgentState
from acd.strategies import PICKERS, Candidate, StrategyContext, pick_agent, skill_level
from config.center import Strategy

pytestmark = pytest.mark.unit


def cand(
    agent_id: str,
    *,
    idle_since: float = 0.0,
    talk_s: float = 0.0,
    calls: int = 0,
    level: int = 1,
) -> Candidate:
    """An available candidate with the counters the strategies read."""
    presence = AgentPresence(
        agent_id,
        state=AgentState.AVAILABLE,
        idle_since=idle_since,
        talk_s=talk_s,
        calls_handled=calls,
    )
    return Candidate(presence, level)


def ctx(seed: int = 0, last_picked: str = "") -> StrategyContext:
    return StrategyContext(random.Random(seed), last_picked)


def pick(strategy: Strategy, *candidates: Candidate, context: StrategyContext | None = None) -> str:
    return pick_agent(strategy, list(candidates), context or ctx()).presence.agent_id


# --- longest idle ---------------------------------------------------------------------------


def test_longest_idle_picks_the_earliest_idle_since() -> None:
    assert pick(Strategy.LONGEST_IDLE, cand("a", idle_since=30), cand("b", idle_since=10)) == "b"


@pytest.mark.parametrize("order", [("a", "b", "c"), ("c", "b", "a"), ("b", "c", "a")])
def test_longest_idle_breaks_a_tie_by_agent_id_whatever_the_order(order: tuple[str, ...]) -> None:
    candidates = [cand(agent_id, idle_since=10) for agent_id in order]
    assert pick(Strategy.LONGEST_IDLE, *candidates) == "a"


# --- least talk time / fewest calls ------------------------------------------------------------


def test_least_talk_time_picks_the_least_talk() -> None:
    candidates = (cand("a", talk_s=600, idle_since=1), cand("b", talk_s=120, idle_since=50))
    assert pick(Strategy.LEAST_TALK_TIME, *candidates) == "b"


def test_least_talk_time_tie_goes_to_the_longest_idle() -> None:
    candidates = (cand("a", talk_s=120, idle_since=50), cand("b", talk_s=120, idle_since=20))
    assert pick(Strategy.LEAST_TALK_TIME, *candidates) == "b"


def test_fewest_calls_picks_the_fewest_calls() -> None:
    candidates = (cand("a", calls=5, idle_since=1), cand("b", calls=2, idle_since=50))
    assert pick(Strategy.FEWEST_CALLS, *candidates) == "b"


def test_fewest_calls_tie_goes_to_the_longest_idle() -> None:
    candidates = (cand("a", calls=3, idle_since=50), cand("b", calls=3, idle_since=20))
    assert pick(Strategy.FEWEST_CALLS, *candidates) == "b"


@pytest.mark.parametrize(
    "strategy",
    [Strategy.LEAST_TALK_TIME, Strategy.FEWEST_CALLS, Strategy.SKILL_LEVEL_WEIGHTED],
)
def test_a_complete_tie_is_decided_the_same_way_every_time(strategy: Strategy) -> None:
    # these strategies keep the candidates' order on a complete tie (the engine lists them in
    # center-file order), so repeated decisions on the same input agree
    candidates = [cand(agent_id, idle_since=10) for agent_id in ("b", "a", "c")]
    picks = {pick_agent(strategy, candidates, ctx()).presence.agent_id for _ in range(20)}
    assert picks == {"b"}


# --- skill-level weighted --------------------------------------------------------------------


def test_skill_weighted_prefers_the_higher_level_over_longer_idle() -> None:
    candidates = (cand("a", level=2, idle_since=0), cand("b", level=5, idle_since=900))
    assert pick(Strategy.SKILL_LEVEL_WEIGHTED, *candidates) == "b"


def test_skill_weighted_tie_on_level_goes_to_the_longest_idle() -> None:
    candidates = (
        cand("a", level=4, idle_since=300),
        cand("b", level=4, idle_since=100),
        cand("c", level=3, idle_since=0),
    )
    assert pick(Strategy.SKILL_LEVEL_WEIGHTED, *candidates) == "b"


# --- round robin -----------------------------------------------------------------------------


def test_round_robin_takes_agents_in_id_order_and_wraps_around() -> None:
    context = ctx()
    candidates = [cand("c"), cand("a"), cand("b")]
    picks = [
        pick_agent(Strategy.ROUND_ROBIN, candidates, context).presence.agent_id for _ in range(7)
    ]
    assert picks == ["a", "b", "c", "a", "b", "c", "a"]


def test_round_robin_skips_to_the_next_id_after_the_last_pick_when_it_is_absent() -> None:
    # "b" was picked last and is busy now: the next in order after "b" is "c"
    assert pick(Strategy.ROUND_ROBIN, cand("a"), cand("c"), context=ctx(last_picked="b")) == "c"


def test_round_robin_wraps_when_no_one_comes_after_the_last_pick() -> None:
    assert pick(Strategy.ROUND_ROBIN, cand("a"), cand("b"), context=ctx(last_picked="z")) == "a"


def test_every_pick_is_remembered_in_the_context() -> None:
    context = ctx()
    pick_agent(Strategy.LONGEST_IDLE, [cand("x", idle_since=1), cand("y", idle_since=2)], context)
    assert context.last_picked == "x"


# --- random ----------------------------------------------------------------------------------

RANDOM_PICKS = 400


def test_random_with_a_seed_reaches_every_candidate_in_fair_shares() -> None:
    context = ctx(seed=42)
    candidates = [cand(agent_id) for agent_id in ("a", "b", "c", "d")]
    counts = Counter(
        pick_agent(Strategy.RANDOM, candidates, context).presence.agent_id
        for _ in range(RANDOM_PICKS)
    )
    assert set(counts) == {"a", "b", "c", "d"}
    assert min(counts.values()) > RANDOM_PICKS / len(candidates) / 2


def test_random_is_reproducible_with_the_same_seed() -> None:
    candidates = [cand(agent_id) for agent_id in ("a", "b", "c", "d")]
    first, second = ctx(seed=7), ctx(seed=7)
    assert [pick_agent(Strategy.RANDOM, candidates, first) for _ in range(20)] == [
        pick_agent(Strategy.RANDOM, candidates, second) for _ in range(20)
    ]


# --- every strategy, and the one that is not a picker ------------------------------------------


@pytest.mark.parametrize("strategy", sorted(PICKERS))
def test_a_single_candidate_is_always_chosen(strategy: Strategy) -> None:
    assert pick(strategy, cand("only", idle_since=5, talk_s=9, calls=3, level=2)) == "only"


def test_every_strategy_but_ring_all_has_a_picker() -> None:
    assert set(PICKERS) == set(Strategy) - {Strategy.RING_ALL}


def test_ring_all_is_refused_with_a_clear_error() -> None:
    context = ctx(last_picked="before")
    with pytest.raises(ValueError, match="ring-all is not available"):
        pick_agent(Strategy.RING_ALL, [cand("a")], context)
    assert context.last_picked == "before"


# --- skill_level -------------------------------------------------------------------------------


def test_skill_level_sums_the_levels_of_the_required_skills() -> None:
    agent = {"billing": 3, "english": 5, "french": 2}
    assert skill_level(agent, {"billing": 2, "english": 1}) == 8


def test_skill_level_counts_a_minimum_met_exactly() -> None:
    assert skill_level({"billing": 3}, {"billing": 3}) == 3


def test_skill_level_is_none_when_a_minimum_is_not_met() -> None:
    assert skill_level({"billing": 3, "english": 1}, {"billing": 2, "english": 2}) is None


def test_skill_level_is_none_when_a_required_skill_is_missing() -> None:
    assert skill_level({"billing": 5}, {"billing": 1, "english": 1}) is None


def test_a_queue_without_required_skills_accepts_everyone_at_level_zero() -> None:
    assert skill_level({}, {}) == 0
    assert skill_level({"billing": 4}, {}) == 0
