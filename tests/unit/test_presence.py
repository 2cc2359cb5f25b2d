"""Agent presence: every transition of the state machine, allowed or not, and what each resets."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from acd.presence import ALLOWED, AgentPresence, AgentState, InvalidTransition

pytestmark = pytest.mark.unit

S = AgentState
AT = 1_000.0
ALL_PAIRS = list(itertools.product(AgentState, AgentState))
ALLOWED_PAIRS = [(a, b) for a, b in ALL_PAIRS if b in ALLOWED[a]]
FORBIDDEN_PAIRS = [(a, b) for a, b in ALL_PAIRS if b not in ALLOWED[a]]


def _ids(pair: tuple[AgentState, AgentState]) -> str:
    return f"{pair[0]}->{pair[1]}"


def in_state(state: AgentState, **fields: object) -> AgentPresence:
    """An agent already in `state` since t=10, with non-default counters."""
    presence = AgentPresence(
        "a1",
        state=state,
        since=10.0,
        reason="lunch" if state is S.PAUSED else "",
        call_id="c1" if state in (S.RESERVED, S.ON_CALL, S.WRAP_UP) else "",
        idle_since=5.0,
        calls_handled=4,
        talk_s=300.0,
        no_answer_streak=2,
        pending_pause="break",
        pending_logout=True,
    )
    return replace(presence, **fields)  # type: ignore[arg-type]


def test_the_table_covers_every_state() -> None:
    assert set(ALLOWED) == set(AgentState)


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=_ids)
def test_an_allowed_transition_moves_to_the_new_state_at_the_given_time(
    pair: tuple[AgentState, AgentState],
) -> None:
    before, to = pair
    agent = in_state(before)
    after = agent.transition(to, AT, reason="why", call_id="c9")
    assert (after.state, after.since, after.reason, after.call_id) == (to, AT, "why", "c9")
    assert (after.agent_id, after.calls_handled, after.talk_s) == ("a1", 4, 300.0)
    assert agent.state is before  # the old value is untouched (frozen)


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=_ids)
def test_a_forbidden_transition_raises_and_names_both_states(
    pair: tuple[AgentState, AgentState],
) -> None:
    before, to = pair
    with pytest.raises(InvalidTransition, match=f"a1: {before} -> {to} is not allowed"):
        in_state(before).transition(to, AT)


@pytest.mark.parametrize(
    "pair",
    [
        # the lifecycle of DESIGN.md
        (S.LOGGED_OUT, S.AVAILABLE),
        (S.AVAILABLE, S.RESERVED),
        (S.RESERVED, S.ON_CALL),
        (S.ON_CALL, S.WRAP_UP),
        (S.WRAP_UP, S.AVAILABLE),
        # a ring not answered, a call with no wrap-up, a pause changing its reason
        (S.RESERVED, S.AVAILABLE),
        (S.ON_CALL, S.AVAILABLE),
        (S.PAUSED, S.PAUSED),
        (S.PAUSED, S.AVAILABLE),
        # logging in paused
        (S.LOGGED_OUT, S.PAUSED),
    ],
    ids=_ids,
)
def test_the_designed_lifecycle_is_allowed(pair: tuple[AgentState, AgentState]) -> None:
    assert pair[1] in ALLOWED[pair[0]]


@pytest.mark.parametrize(
    "pair",
    [
        # a call can only reach an agent through a reservation (the atomic step)
        (S.AVAILABLE, S.ON_CALL),
        (S.PAUSED, S.RESERVED),
        (S.PAUSED, S.ON_CALL),
        (S.WRAP_UP, S.RESERVED),
        (S.WRAP_UP, S.ON_CALL),
        (S.LOGGED_OUT, S.RESERVED),
        (S.LOGGED_OUT, S.ON_CALL),
        (S.LOGGED_OUT, S.WRAP_UP),
        (S.AVAILABLE, S.WRAP_UP),
        (S.RESERVED, S.WRAP_UP),
        # an agent cannot be reserved twice, nor log out twice
        (S.RESERVED, S.RESERVED),
        (S.LOGGED_OUT, S.LOGGED_OUT),
    ],
    ids=_ids,
)
def test_shortcuts_around_the_reservation_are_forbidden(
    pair: tuple[AgentState, AgentState],
) -> None:
    assert pair[1] not in ALLOWED[pair[0]]


@pytest.mark.parametrize("before", [a for a, b in ALLOWED_PAIRS if b is S.AVAILABLE])
def test_becoming_available_starts_idle_time_and_clears_pending_requests(
    before: AgentState,
) -> None:
    after = in_state(before).transition(S.AVAILABLE, AT)
    assert after.idle_since == AT
    assert (after.pending_pause, after.pending_logout) == ("", False)
    assert after.no_answer_streak == 2  # only the engine decides when a streak ends


@pytest.mark.parametrize("before", [a for a, b in ALLOWED_PAIRS if b is S.LOGGED_OUT])
def test_logging_out_resets_the_no_answer_streak_and_pending_requests(before: AgentState) -> None:
    after = in_state(before).transition(S.LOGGED_OUT, AT)
    assert after.no_answer_streak == 0
    assert (after.pending_pause, after.pending_logout) == ("", False)
    assert after.idle_since == 5.0


@pytest.mark.parametrize(
    "pair", [p for p in ALLOWED_PAIRS if p[1] not in (S.AVAILABLE, S.LOGGED_OUT)], ids=_ids
)
def test_other_transitions_keep_idle_time_streak_and_pending_requests(
    pair: tuple[AgentState, AgentState],
) -> None:
    after = in_state(pair[0]).transition(pair[1], AT)
    assert (after.idle_since, after.no_answer_streak) == (5.0, 2)
    assert (after.pending_pause, after.pending_logout) == ("break", True)


def test_a_transition_without_reason_or_call_clears_the_old_ones() -> None:
    paused = in_state(S.PAUSED)
    assert paused.reason == "lunch"
    assert paused.transition(S.PAUSED, AT).reason == ""
    assert in_state(S.ON_CALL).transition(S.WRAP_UP, AT).call_id == ""


def test_a_new_agent_starts_logged_out_and_idle() -> None:
    agent = AgentPresence("a1")
    assert agent.state is S.LOGGED_OUT
    assert (agent.calls_handled, agent.talk_s, agent.no_answer_streak) == (0, 0.0, 0)
    assert not agent.is_busy


def test_time_in_state_counts_from_the_last_transition() -> None:
    agent = AgentPresence("a1").transition(S.AVAILABLE, 100.0).transition(S.RESERVED, 160.0)
    assert agent.time_in_state(160.0) == 0.0
    assert agent.time_in_state(175.5) == 15.5


def test_time_in_state_is_never_negative() -> None:
    agent = AgentPresence("a1", since=100.0)
    assert agent.time_in_state(90.0) == 0.0


@pytest.mark.parametrize(
    ("state", "busy"),
    [
        (S.LOGGED_OUT, False),
        (S.AVAILABLE, False),
        (S.RESERVED, True),
        (S.ON_CALL, True),
        (S.WRAP_UP, True),
        (S.PAUSED, False),
    ],
)
def test_is_busy_while_holding_a_contact(state: AgentState, busy: bool) -> None:
    assert in_state(state).is_busy is busy


def test_invalid_transition_is_a_value_error() -> None:
    assert issubclass(InvalidTransition, ValueError)
