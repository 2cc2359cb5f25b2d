"""Routing properties, checked with Hypothesis over random centers and scripted traffic.

Each example draws a small center (queues with skill minimums, agents with levels 1–5), places
calls at random moments with random patience and talk time, lets agents answer or not, and sends
random pause / ready / logout / login / wrap-up requests, all on the virtual clock. What the
engine did is then judged from the bus events, the call records and call events, and the store
snapshots taken after every handled event (`tests.routing_harness`):

- no agent is rung for two contacts at once, nor while ON_CALL or in WRAP_UP, and no reservation
  outlives its contact;
- no contact is offered to an agent without the queue's skills at their minimum levels;
- no agent is given a contact while one ahead of it (queue priority, caller priority or ageing
  score, then arrival) waits un-offered for it, so equal priorities go first come, first served;
- a caller waiting for a preferred agent gets it when it is free within the window, nobody else
  does inside the window while it is logged in, and anyone qualified may after it;
- no qualified agent stays free beside a contact it may take;
- every call leaves exactly one record, and its outcome agrees with its call events.

The engine bugs these properties found are kept as plain examples at the end. One is still open
and pinned there by a strict xfail test: a ring-all offer takes agents freed at the same moment
away from better callers in their other queues (until it is fixed, ring-all is judged for
fairness on one queue only, and for safety everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd import events as ev
from acd.directory import CallerInfo
from acd.presence import AgentState
from config.center import AgentDef, Center, CenterInfo, Destination, QueueDef, Strategy
from telephony.sim.behaviour import (
    AgentBehaviour,
    CallerBehaviour,
    Duration,
    ScriptedCall,
    SimulationProfile,
)
from tests.routing_harness import (
    PAUSE_REASON,
    REQUESTS,
    AgentAction,
    RoutingRun,
    Snapshot,
    all_violations,
    event_violations,
    idle_violations,
    line_order_violations,
    record_violations,
    run_routing,
    safety_violations,
)
from tests.scenario import MONDAY_10AM

pytestmark = pytest.mark.unit

# --- random centers and traffic --------------------------------------------------------------

SKILLS = ("s0", "s1", "s2", "s3")
MAX_AGENTS = 8
CALLERS = 6


def number_of(queue: str) -> str:
    """The dialled number that leads straight to a queue."""
    return f"400{queue[1:]:0>4}"


def ani_of(caller: int) -> str:
    """A caller's number."""
    return f"+86100000{caller:04d}"


@dataclass(frozen=True, slots=True)
class Shape:
    """What kind of centers and traffic to draw."""

    queues: tuple[int, int] = (2, 4)
    agents: tuple[int, int] = (2, MAX_AGENTS)
    identical_agents: bool = False
    strategies: tuple[Strategy, ...] = tuple(Strategy)
    ageing: tuple[float | None, ...] = (None, 10.0, 60.0)
    # 30 s windows end with 30 s max waits: an overflow at that instant starts a new window.
    windows: tuple[float, ...] = (0.0, 10.0, 30.0)
    preferred: bool = True
    calls: int = 15
    horizon_s: float = 300.0
    answering: tuple[float, ...] = (0.0, 0.5, 0.9, 1.0)


@st.composite
def queue_defs(draw: st.DrawFn, shape: Shape, others: list[str]) -> QueueDef:
    """One queue with random skills, strategy, timers and overflow (queues may overflow into
    each other: a loop is only a warning in a center file)."""
    skills = draw(
        st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), min_size=1, max_size=2)
    )
    overflow = draw(st.sampled_from(["hangup", "voicemail", *(f"queue:{name}" for name in others)]))
    return QueueDef(
        strategy=draw(st.sampled_from(shape.strategies)),
        skills=skills,
        wrap_up_s=draw(st.sampled_from([0.0, 5.0, 20.0])),
        ring_timeout_s=draw(st.sampled_from([4.0, 15.0])),
        max_wait_s=draw(st.none() | st.sampled_from([30.0, 90.0])),
        overflow=Destination.parse(overflow),
        max_length=draw(st.none() | st.integers(2, 5)),
        priority=draw(st.integers(0, 2)),
        auto_pause_after=draw(st.integers(0, 3)),
        priority_ageing_s=draw(st.sampled_from(shape.ageing)),
        preferred_agent_window_s=draw(st.sampled_from(shape.windows)),
        join_empty=draw(st.booleans()),
        leave_empty=draw(st.booleans()),
    )


@st.composite
def centers(draw: st.DrawFn, shape: Shape) -> Center:
    """A random center: queues with skill minimums, agents with levels 1–5 (all alike, and
    qualified for every queue, when the shape says so)."""
    names = [f"q{i}" for i in range(draw(st.integers(*shape.queues)))]
    queues = {name: draw(queue_defs(shape, [n for n in names if n != name])) for name in names}
    agent_skills = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)
    if shape.identical_agents:
        agent_skills = st.just(dict.fromkeys(SKILLS, 5))
    agents = {
        f"a{i}": AgentDef(name=f"Agent {i}", extension=f"{1000 + i}", skills=draw(agent_skills))
        for i in range(draw(st.integers(*shape.agents)))
    }
    return Center(
        center=CenterInfo(pause_reasons=[PAUSE_REASON, "lunch"]),
        skills={skill: skill.upper() for skill in SKILLS},
        queues=queues,
        agents=agents,
        numbers={number_of(name): Destination(kind="queue", name=name) for name in names},
    )


@st.composite
def scripted_calls(draw: st.DrawFn, center: Center, shape: Shape) -> list[ScriptedCall]:
    """Calls at random half-seconds to random queues' numbers, with random patience."""
    call = st.builds(
        ScriptedCall,
        after_s=st.integers(0, int(2 * shape.horizon_s)).map(lambda halves: halves / 2),
        dnis=st.sampled_from(sorted(center.numbers)),
        ani=st.integers(0, CALLERS - 1).map(ani_of),
        patience_s=st.floats(1.0, 200.0),
        talk_s=st.floats(1.0, 120.0),
    )
    return draw(st.lists(call, min_size=1, max_size=shape.calls))


@st.composite
def agent_actions(draw: st.DrawFn, center: Center, shape: Shape) -> tuple[AgentAction, ...]:
    """Up to 10 random pause / ready / logout / login / extend requests."""
    action = st.builds(
        AgentAction,
        after_s=st.integers(0, int(2.5 * shape.horizon_s)).map(lambda halves: halves / 2),
        agent_id=st.sampled_from(sorted(center.agents)),
        request=st.sampled_from(REQUESTS),
    )
    return tuple(draw(st.lists(action, max_size=10)))


@st.composite
def profiles(draw: st.DrawFn, center: Center, shape: Shape) -> SimulationProfile:
    """Which agents log in at the start, how often and how fast they answer."""
    logged_in = draw(st.lists(st.sampled_from(sorted(center.agents)), unique=True))
    return SimulationProfile(
        arrival_rate_per_s=0.0,
        callers=CallerBehaviour(patience=None),
        agents=AgentBehaviour(
            ring_delay=Duration(draw(st.sampled_from([1.0, 3.0, 8.0])), fixed=True),
            answer_probability=draw(st.sampled_from(shape.answering)),
        ),
        prompt_s=0.0,
        agent_ids=tuple(sorted(logged_in)),
    )


@st.composite
def caller_table(draw: st.DrawFn, center: Center, shape: Shape) -> dict[str, CallerInfo]:
    """What the directory knows of each caller: a priority 0–3 and maybe a preferred agent."""
    agent = st.sampled_from(["", *sorted(center.agents)]) if shape.preferred else st.just("")
    info = st.builds(CallerInfo, priority=st.integers(0, 3), preferred_agent=agent)
    return {ani_of(i): draw(info) for i in range(CALLERS)}


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything one example runs: a center, who calls when, and what agents do."""

    center: Center
    calls: list[ScriptedCall]
    actions: tuple[AgentAction, ...]
    profile: SimulationProfile
    callers: dict[str, CallerInfo]
    seed: int

    def run(self) -> RoutingRun:
        """Run it on the virtual clock."""
        return run_routing(
            self.center,
            self.calls,
            actions=self.actions,
            profile=self.profile,
            callers=self.callers,
            seed=self.seed,
        )


@st.composite
def scenarios(draw: st.DrawFn, shape: Shape) -> Scenario:
    """A random center of the given shape, with random traffic and agents' requests."""
    center = draw(centers(shape))
    return Scenario(
        center=center,
        calls=draw(scripted_calls(center, shape)),
        actions=draw(agent_actions(center, shape)),
        profile=draw(profiles(center, shape)),
        callers=draw(caller_table(center, shape)),
        seed=draw(st.integers(0, 2**16)),
    )


# --- the properties over random centers and traffic ----------------------------------------

# Ring-all is judged for fairness on one line only, until its offers stop taking agents freed
# at the same moment from better callers in their other queues (pinned below).
FAIR_STRATEGIES = tuple(strategy for strategy in Strategy if strategy is not Strategy.RING_ALL)
ANY_CENTER = Shape(strategies=FAIR_STRATEGIES)
# One queue, agents all alike: what differs is only the callers' place in line.
ONE_LINE = Shape(
    queues=(1, 1),
    agents=(1, 3),
    identical_agents=True,
    windows=(0.0,),
    preferred=False,
    horizon_s=120.0,
)
KNOWN_AGENTS = Shape(strategies=FAIR_STRATEGIES, windows=(10.0, 30.0), answering=(0.5, 1.0))
ANY_STRATEGY = Shape()
PROPERTY_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(scenarios(ANY_CENTER))
def test_given_any_center_and_traffic_then_every_routing_property_holds(scenario: Scenario):
    assert all_violations(scenario.run()) == []


@PROPERTY_SETTINGS
@given(scenarios(ONE_LINE))
def test_given_one_line_of_identical_agents_then_contacts_are_offered_in_line_order(
    scenario: Scenario,
):
    assert all_violations(scenario.run()) == []


@PROPERTY_SETTINGS
@given(scenarios(KNOWN_AGENTS))
def test_given_callers_with_preferred_agents_then_they_get_them_within_the_window(
    scenario: Scenario,
):
    assert all_violations(scenario.run()) == []


@PROPERTY_SETTINGS
@given(scenarios(ANY_STRATEGY))
def test_given_any_strategy_even_ring_all_then_reservations_skills_and_records_hold(
    scenario: Scenario,
):
    assert safety_violations(scenario.run()) == []


# --- the same properties on hand-made examples ---------------------------------------------

LINE = "q0"
LINE_NUMBER = number_of(LINE)
ALWAYS_ANSWER = SimulationProfile(
    arrival_rate_per_s=0.0,
    callers=CallerBehaviour(patience=None),
    agents=AgentBehaviour(ring_delay=Duration(1.0, fixed=True)),
    prompt_s=0.0,
)


def line_center(agents: int = 1, **rules: object) -> Center:
    """One queue needing s0 ≥ 2, served by `agents` agents a0, a1, ... with s0 = 3."""
    return Center(
        center=CenterInfo(pause_reasons=[PAUSE_REASON]),
        skills={"s0": "S0"},
        queues={LINE: QueueDef(skills={"s0": 2}, **rules)},  # type: ignore[arg-type]
        agents={
            f"a{i}": AgentDef(name=f"Agent {i}", extension=f"{1000 + i}", skills={"s0": 3})
            for i in range(agents)
        },
        numbers={LINE_NUMBER: Destination(kind="queue", name=LINE)},
    )


def call(after_s: float, caller: int, talk_s: float = 30.0) -> ScriptedCall:
    """A patient caller to the line."""
    return ScriptedCall(
        after_s=after_s, dnis=LINE_NUMBER, ani=ani_of(caller), patience_s=1000.0, talk_s=talk_s
    )


def answer_order(run: RoutingRun) -> list[str]:
    """The callers' numbers in the order agents answered them."""
    answered = [r for r in run.records if r.answered_at is not None]
    return [r.ani for r in sorted(answered, key=lambda r: r.answered_at or 0.0)]


def test_given_one_busy_agent_then_waiting_callers_are_answered_first_come_first_served():
    calls = [call(1, 0, talk_s=20), call(2, 1), call(3, 2), call(4, 3)]
    run = run_routing(line_center(), calls, profile=ALWAYS_ANSWER)
    assert answer_order(run) == [ani_of(0), ani_of(1), ani_of(2), ani_of(3)]
    assert all_violations(run) == []


def test_given_strict_priority_then_a_later_vip_is_answered_before_an_earlier_caller():
    callers = {ani_of(1): CallerInfo(priority=0), ani_of(2): CallerInfo(priority=2)}
    calls = [call(1, 0, talk_s=20), call(2, 1), call(3, 2)]
    run = run_routing(line_center(), calls, profile=ALWAYS_ANSWER, callers=callers)
    assert answer_order(run) == [ani_of(0), ani_of(2), ani_of(1)]
    assert all_violations(run) == []


@pytest.mark.parametrize(
    ("vip_after_s", "first"),
    [(35.0, "low"), (15.0, "vip")],
    ids=["low-waited-longer-than-the-gap", "low-waited-less-than-the-gap"],
)
def test_given_ageing_then_a_low_priority_caller_who_waited_long_enough_goes_first(
    vip_after_s: float, first: str
):
    # Priority gap 2 x 10 s ageing = 20 s: the low caller (at 5 s) goes first once it had
    # waited more than 20 s when the VIP came.
    callers = {ani_of(1): CallerInfo(priority=0), ani_of(2): CallerInfo(priority=2)}
    calls = [call(1, 0, talk_s=60), call(5, 1), call(vip_after_s, 2)]
    center = line_center(priority_ageing_s=10.0)
    run = run_routing(center, calls, profile=ALWAYS_ANSWER, callers=callers)
    expected = [ani_of(1), ani_of(2)] if first == "low" else [ani_of(2), ani_of(1)]
    assert answer_order(run)[1:] == expected
    assert all_violations(run) == []


def preferred_run(
    first_talk_s: float | None, logged_in: tuple[str, ...] = ("a0", "a1")
) -> RoutingRun:
    """a0 takes a first call at 1 s (if any); at 5 s a caller who prefers a0 (window 20 s)
    arrives. a0 and a1 are alike."""
    callers = {ani_of(1): CallerInfo(preferred_agent="a0")}
    profile = SimulationProfile(
        arrival_rate_per_s=0.0, agents=ALWAYS_ANSWER.agents, prompt_s=0.0, agent_ids=logged_in
    )
    first = [] if first_talk_s is None else [call(1, 0, talk_s=first_talk_s)]
    center = line_center(agents=2, preferred_agent_window_s=20.0)
    return run_routing(center, [*first, call(5, 1)], profile=profile, callers=callers)


def rings_of(run: RoutingRun, caller: int) -> list[tuple[float, str]]:
    """(seconds after the caller queued, agent) for each ring of the caller's call."""
    record = next(r for r in run.records if r.ani == ani_of(caller))
    queued = record.queued_at or 0.0
    return [
        (round(e.at - queued, 3), e.agent_id)
        for e in run.bus
        if isinstance(e, ev.AgentRinging) and e.call_id == record.call_id
    ]


def test_given_the_preferred_agent_frees_within_the_window_then_it_gets_the_caller():
    run = preferred_run(first_talk_s=10)
    assert rings_of(run, 1) == [(7.0, "a0")]  # a0 is free at 12 s; a1 was free all along
    assert all_violations(run) == []


def test_given_the_preferred_agent_stays_busy_then_anyone_qualified_gets_the_caller_after_it():
    run = preferred_run(first_talk_s=60)
    assert rings_of(run, 1) == [(20.0, "a1")]
    assert all_violations(run) == []


def test_given_the_preferred_agent_is_logged_out_then_the_caller_does_not_wait_for_it():
    run = preferred_run(first_talk_s=None, logged_in=("a1",))
    assert rings_of(run, 1) == [(0.0, "a1")]
    assert all_violations(run) == []


# --- the checks themselves catch what they look for ------------------------------------------

T0 = MONDAY_10AM
S = AgentState


def judged(*events: ev.Event, callers: dict[str, CallerInfo] | None = None) -> RoutingRun:
    """A made-up run on the one-line center: a0 and a2 qualify, a1 (s0 = 1) does not."""
    center = line_center(agents=3).model_copy(deep=True)
    center.agents["a1"] = center.agents["a1"].model_copy(update={"skills": {"s0": 1}})
    return RoutingRun(center, callers or {}, [], [], list(events))


def login(agent: str) -> ev.AgentStateChanged:
    return ev.AgentStateChanged(at=T0, agent_id=agent, state=S.AVAILABLE, previous=S.LOGGED_OUT)


def queued(call_id: str, after_s: float, priority: int = 0) -> ev.CallQueued:
    return ev.CallQueued(
        at=T0 + after_s, call_id=call_id, queue=LINE, priority=priority, position=1
    )


def rung(call_id: str, agent: str, after_s: float) -> list[ev.Event]:
    at = T0 + after_s
    return [
        ev.AgentStateChanged(
            at=at, agent_id=agent, state=S.RESERVED, previous=S.AVAILABLE, call_id=call_id
        ),
        ev.AgentRinging(at=at, call_id=call_id, agent_id=agent, queue=LINE),
    ]


def test_the_checks_catch_an_agent_rung_for_a_second_contact():
    run = judged(
        login("a0"), queued("c1", 1), queued("c2", 2), *rung("c1", "a0", 3), *rung("c2", "a0", 4)
    )
    assert any("a0 reserved for c2 while reserved" in v for v in event_violations(run))


def test_the_checks_catch_a_contact_offered_to_an_agent_without_the_skill_level():
    run = judged(login("a1"), queued("c1", 1), *rung("c1", "a1", 2))
    assert any("a1 lacks the skills of q0" in v for v in event_violations(run))


def test_the_checks_catch_a_later_caller_offered_before_an_earlier_one():
    run = judged(login("a0"), queued("c1", 1), queued("c2", 2), *rung("c2", "a0", 3))
    assert any("while c1 (q0), ahead of it, waited" in v for v in event_violations(run))


def test_the_checks_catch_first_offers_out_of_line_order():
    run = judged(queued("c1", 1), queued("c2", 2), *rung("c2", "a0", 3), *rung("c1", "a2", 4))
    assert line_order_violations(run) == ["c2 offered before c1, which entered q0 first"]


def test_the_checks_catch_a_caller_given_to_another_agent_inside_the_preferred_window():
    offered = ev.CallOffered(at=T0, call_id="c1", ani=ani_of(1), dnis=LINE_NUMBER)
    callers = {ani_of(1): CallerInfo(preferred_agent="a2")}
    run = judged(
        login("a0"), login("a2"), offered, queued("c1", 1), *rung("c1", "a0", 2), callers=callers
    )
    assert any("c1 went to a0 inside a2's window" in v for v in event_violations(run))


def test_the_checks_catch_a_free_agent_beside_a_waiting_contact():
    run = run_routing(line_center(), [call(1, 0)], profile=ALWAYS_ANSWER)
    snap = next(s for s in run.snapshots if s.waiting)
    free = {"a0": replace(snap.agents["a0"], state=S.AVAILABLE, call_id="")}
    waiting = tuple(replace(contact, offered_to="") for contact in snap.waiting)
    run.snapshots = [Snapshot(snap.at, snap.handled, snap.bus_index, free, waiting)]
    assert [v.split(": ", 1)[1] for v in idle_violations(run)] == [
        f"{waiting[0].call_id} waits un-offered in q0 while a0 is free"
    ]


def test_the_checks_catch_a_call_without_a_record_and_a_record_that_disagrees():
    run = run_routing(line_center(), [call(1, 0), call(2, 1)], profile=ALWAYS_ANSWER)
    run.records[1].outcome = "abandoned"
    del run.records[0]
    found = record_violations(run)
    assert any("0 records" in v for v in found)
    assert any("outcome abandoned with 1 CONNECT" in v for v in found)


# --- engine bugs these properties found (fixed unless marked xfail) ---------------------------
# Dispatcher.answered_by, Engine.ring_no_answer (twice), Engine._overflow, WaitingCare's
# stale preference timer, AgentDesk.end_wrap_up, the no-answer auto-pause (twice).


def test_given_ring_all_when_one_agent_answers_then_the_others_take_the_next_caller():
    center = line_center(agents=2, strategy=Strategy.RING_ALL)
    ring_5_s = AgentBehaviour(ring_delay=Duration(5.0, fixed=True))
    profile = SimulationProfile(arrival_rate_per_s=0.0, agents=ring_5_s, prompt_s=0.0)
    run = run_routing(center, [call(1, 0), call(2, 1)], profile=profile)
    second = next(r for r in run.records if r.ani == ani_of(1))
    assert second.wait_s is not None
    assert second.wait_s <= 4.0 + 5.0  # offered when the first call is answered, at 6 s


NEVER_ANSWER = SimulationProfile(
    arrival_rate_per_s=0.0,
    agents=AgentBehaviour(answer_probability=0.0),
    prompt_s=0.0,
    agent_ids=("a0",),
)


def test_given_a_ring_no_answer_then_the_freed_agent_first_serves_its_caller_by_name():
    callers = {ani_of(1): CallerInfo(preferred_agent="a0")}
    center = line_center(ring_timeout_s=4.0, auto_pause_after=0, preferred_agent_window_s=30.0)
    run = run_routing(
        center, [call(1, 0), call(2, 1)], profile=NEVER_ANSWER, callers=callers, run_s=10.0
    )
    assert rings_of(run, 1)[:1] == [(3.0, "a0")]  # at the no-answer (5 s), not the first again


def test_given_a_ring_no_answer_then_a_vip_who_came_meanwhile_is_offered_next():
    callers = {ani_of(1): CallerInfo(priority=2)}
    center = line_center(ring_timeout_s=4.0, auto_pause_after=0)
    run = run_routing(
        center, [call(1, 0), call(2, 1)], profile=NEVER_ANSWER, callers=callers, run_s=10.0
    )
    assert rings_of(run, 1)[:1] == [(3.0, "a0")]


def test_given_an_overflow_loop_that_refuses_the_call_then_the_call_ends_cleanly():
    center = line_center(join_empty=False, overflow=Destination.parse("queue:q1"))
    loop_back = center.queues[LINE].model_copy(update={"overflow": Destination.parse("queue:q0")})
    center = center.model_copy(update={"queues": {LINE: center.queues[LINE], "q1": loop_back}})
    profile = SimulationProfile(arrival_rate_per_s=0.0, prompt_s=0.0, agent_ids=())
    run = run_routing(center, [call(1, 0)], profile=profile, run_s=60.0)
    assert run.errors == []
    assert [r.outcome for r in run.records] == ["overflow"]


def test_given_an_overflow_when_the_window_ends_then_the_next_queue_waits_for_the_agent_too():
    center = line_center(
        agents=2,
        preferred_agent_window_s=20.0,
        max_wait_s=20.0,
        overflow=Destination.parse("queue:q1"),
    )
    q1 = center.queues[LINE].model_copy(
        update={"preferred_agent_window_s": 30.0, "max_wait_s": None}
    )
    center = center.model_copy(update={"queues": {LINE: center.queues[LINE], "q1": q1}})
    callers = {ani_of(1): CallerInfo(preferred_agent="a0")}
    run = run_routing(
        center, [call(1, 0, talk_s=33), call(3, 1)], profile=ALWAYS_ANSWER, callers=callers
    )
    assert rings_of(run, 1) == [(32.0, "a0")]  # a0 frees at 35 s, inside q1's window


def test_given_a_logout_after_a_call_then_callers_waiting_for_the_agent_go_to_others():
    center = line_center(agents=2, preferred_agent_window_s=60.0)
    callers = {ani_of(1): CallerInfo(preferred_agent="a0")}
    logout = (AgentAction(5.0, "a0", "logout"),)  # a0 is talking until 22 s
    calls = [call(1, 0, talk_s=20), call(10, 1)]
    run = run_routing(center, calls, profile=ALWAYS_ANSWER, callers=callers, actions=logout)
    assert rings_of(run, 1) == [(12.0, "a1")]  # when a0 leaves, not when the window ends


def test_given_the_preferred_agent_is_paused_for_no_answer_then_its_caller_goes_to_others():
    center = line_center(
        agents=2, preferred_agent_window_s=30.0, ring_timeout_s=4.0, auto_pause_after=1
    )
    callers = {ani_of(0): CallerInfo(preferred_agent="a0")}
    never_answer = SimulationProfile(
        arrival_rate_per_s=0.0, agents=AgentBehaviour(answer_probability=0.0), prompt_s=0.0
    )
    run = run_routing(center, [call(1, 0)], profile=never_answer, callers=callers, run_s=60.0)
    assert rings_of(run, 0)[:2] == [(0.0, "a0"), (4.0, "a1")]  # not (30.0, "a1")


def test_given_a_ring_all_no_answer_then_a_freed_agent_takes_the_better_caller_elsewhere():
    two_skills = {"s0": 3, "s1": 1}
    center = line_center(
        agents=2, strategy=Strategy.RING_ALL, ring_timeout_s=4.0, auto_pause_after=0
    )
    center.skills["s1"] = "S1"
    center.agents["a1"] = center.agents["a1"].model_copy(update={"skills": two_skills})
    center.queues["q1"] = QueueDef(skills={"s1": 1}, priority=1, auto_pause_after=0)
    center.numbers[number_of("q1")] = Destination(kind="queue", name="q1")
    never_answer = SimulationProfile(
        arrival_rate_per_s=0.0, agents=AgentBehaviour(answer_probability=0.0), prompt_s=0.0
    )
    calls = [
        ScriptedCall(after_s=1, dnis=LINE_NUMBER, ani=ani_of(0), patience_s=20.0),
        ScriptedCall(after_s=2, dnis=number_of("q1"), ani=ani_of(1), patience_s=60.0),
    ]
    run = run_routing(center, calls, profile=never_answer, run_s=60.0)
    # a1 is freed at 5 s by the ring-all no-answer; q1 (priority 1) is its best queue.
    assert rings_of(run, 1)[0] == (3.0, "a1")  # not (19.0, "a1"), when the first caller leaves


def test_given_an_auto_pause_then_the_caller_it_releases_does_not_pass_the_unanswered_one():
    center = line_center(
        agents=2, preferred_agent_window_s=30.0, ring_timeout_s=8.0, auto_pause_after=1
    )
    callers = {ani_of(1): CallerInfo(preferred_agent="a0")}
    never_answer = SimulationProfile(
        arrival_rate_per_s=0.0,
        agents=AgentBehaviour(answer_probability=0.0),
        prompt_s=0.0,
        agent_ids=("a0",),
    )
    a1_arrives = (AgentAction(5.0, "a1", "login"),)  # idle: caller 1 waits for a0 by name
    run = run_routing(
        center,
        [call(1, 0), call(2, 1)],
        profile=never_answer,
        callers=callers,
        actions=a1_arrives,
        run_s=60.0,
    )
    # At 9 s a0 is auto-paused: caller 0, first in line, goes to a1; caller 1 waits.
    assert rings_of(run, 0)[:2] == [(0.0, "a0"), (8.0, "a1")]
