"""Routing rules on the simulated carrier: known agents, priorities, ring-all, empty queues,
pause reasons, wrap-up extension, explanations, positions and restarts."""

from __future__ import annotations

import pytest

from acd import events as ev
from acd.clock import RealClock
from acd.contacts import WaitingContact, rank_score
from acd.directory import CallerInfo, StaticDirectory
from acd.engine import Engine
from acd.presence import AgentPresence, AgentState
from acd.state import MemoryStateStore
from config.center import AgentDef, Center, Destination, QueueDef, Strategy
from telephony.sim.behaviour import (
    AgentBehaviour,
    CallerBehaviour,
    Duration,
    ScriptedCall,
    SimulationProfile,
)
from tests.scenario import MONDAY_10AM, run_scenario

pytestmark = pytest.mark.unit

LINE = "4008001001"
ANI_A, ANI_B, VIP = "+8613900000001", "+8613900000002", "+8613900000009"


def make_center(**queue: object) -> Center:
    return Center(
        skills={"support": "Support"},
        queues={"support": QueueDef(skills={"support": 1}, wrap_up_s=10).model_copy(update=queue)},
        agents={
            "li": AgentDef(name="Li Na", extension="1001", skills={"support": 3}),
            "zhang": AgentDef(name="Zhang Min", extension="1003", skills={"support": 1}),
        },
        numbers={LINE: Destination(kind="queue", name="support")},
    )


def profile(
    agents: tuple[str, ...] | None = None, *, answer: float = 1.0, ring_s: float = 2.0
) -> SimulationProfile:
    return SimulationProfile(
        arrival_rate_per_s=0.0,
        callers=CallerBehaviour(patience=None),
        agents=AgentBehaviour(ring_delay=Duration(ring_s, fixed=True), answer_probability=answer),
        agent_ids=agents,
    )


def call(after: float, ani: str, talk: float = 30.0, patience: float | None = None) -> ScriptedCall:
    return ScriptedCall(after_s=after, dnis=LINE, ani=ani, talk_s=talk, patience_s=patience)


def agent_of(outcome, ani: str) -> str | None:
    return next(r.agent_id for r in outcome.records if r.ani == ani)


# --- known-agent routing ------------------------------------------------------------------------


def test_given_a_returning_caller_when_their_agent_frees_within_the_window_then_it_waits_for_them():
    calls = [call(1, ANI_A, talk=20), call(5, ANI_B, talk=60), call(30, ANI_A, talk=10)]
    # li takes A (t=3..23, wrap to 33); zhang takes B; A calls back at 30: li frees at ~33 < 30+60.
    outcome = run_scenario(make_center(preferred_agent_window_s=60), calls, profile=profile())
    second = sorted((r for r in outcome.records if r.ani == ANI_A), key=lambda r: r.arrived_at)
    assert [r.agent_id for r in second] == ["li", "li"]
    decision = [e for e in outcome.of_type(ev.RoutingDecision) if e.call_id == second[1].call_id]
    assert decision[0].reason == "a caller waiting for this agent by name"


def test_given_the_window_ends_before_the_agent_frees_then_anyone_qualified_takes_the_caller():
    calls = [call(1, ANI_A, talk=100), call(10, ANI_A, talk=10)]
    directory = StaticDirectory({ANI_A: CallerInfo(preferred_agent="li")})
    outcome = run_scenario(
        make_center(preferred_agent_window_s=20), calls, profile=profile(), directory=directory
    )
    first, second = sorted(outcome.records, key=lambda r: r.arrived_at)
    assert (first.agent_id, second.agent_id) == ("li", "zhang")
    assert second.answered_at - second.queued_at == pytest.approx(20 + 2)


def test_given_the_preferred_agent_is_logged_out_then_the_caller_does_not_wait_for_them():
    directory = StaticDirectory({ANI_A: CallerInfo(preferred_agent="li")})
    outcome = run_scenario(
        make_center(preferred_agent_window_s=60),
        [call(1, ANI_A)],
        profile=profile(agents=("zhang",)),
        directory=directory,
    )
    record = outcome.record()
    assert record.agent_id == "zhang"
    assert record.answered_at - record.queued_at == pytest.approx(2)


# --- priority and ageing --------------------------------------------------------------------------


def test_given_strict_priorities_then_a_vip_is_served_before_earlier_callers():
    calls = [call(1, ANI_A, talk=60), call(5, ANI_B), call(9, VIP)]
    directory = StaticDirectory({VIP: CallerInfo(priority=5)})
    outcome = run_scenario(
        make_center(), calls, profile=profile(agents=("li",)), directory=directory
    )
    order = [r.ani for r in sorted(outcome.records, key=lambda r: r.answered_at)]
    assert order == [ANI_A, VIP, ANI_B]


def test_given_priority_ageing_then_a_caller_who_waited_long_enough_goes_first():
    calls = [call(1, ANI_A, talk=90), call(5, ANI_B), call(40, VIP)]
    directory = StaticDirectory({VIP: CallerInfo(priority=1)})
    outcome = run_scenario(
        make_center(priority_ageing_s=20),
        calls,
        profile=profile(agents=("li",)),
        directory=directory,
    )
    order = [r.ani for r in sorted(outcome.records, key=lambda r: r.answered_at)]
    assert order == [ANI_A, ANI_B, VIP]  # B waited 35 s more: more than one 20 s priority step


# --- ring-all ----------------------------------------------------------------------------------


def test_given_ring_all_then_every_free_agent_rings_and_the_first_to_answer_wins():
    center = make_center(strategy=Strategy.RING_ALL)
    outcome = run_scenario(center, [call(1, ANI_A), call(50, ANI_B)], profile=profile())
    first = outcome.record(0)
    rings = [e.agent_id for e in outcome.of_type(ev.AgentRinging) if e.call_id == first.call_id]
    assert sorted(rings) == ["li", "zhang"]
    assert first.outcome == "answered"
    loser = ({"li", "zhang"} - {first.agent_id}).pop()
    states = [e.state for e in outcome.of_type(ev.AgentStateChanged) if e.agent_id == loser]
    assert states[:3] == [AgentState.AVAILABLE, AgentState.RESERVED, AgentState.AVAILABLE]
    assert outcome.record(1).outcome == "answered"


def test_given_ring_all_and_nobody_answers_then_the_call_rings_again_after_the_timeout():
    center = make_center(strategy=Strategy.RING_ALL, ring_timeout_s=10, auto_pause_after=0)
    outcome = run_scenario(center, [call(1, ANI_A, patience=35)], profile=profile(answer=0.0))
    rings = [
        (e.at - outcome.record().arrived_at, e.agent_id) for e in outcome.of_type(ev.AgentRinging)
    ]
    assert sorted(rings) == [(t, a) for t in (0, 10, 20, 30) for a in ("li", "zhang")]
    assert outcome.record().outcome == "abandoned"


# --- empty queues --------------------------------------------------------------------------------


def test_given_join_empty_off_and_nobody_staffed_then_the_caller_is_sent_to_the_overflow():
    center = make_center(join_empty=False, overflow=Destination(kind="voicemail", name="support"))
    outcome = run_scenario(center, [call(1, ANI_A)], profile=profile(agents=()))
    record = outcome.record()
    assert record.outcome == "voicemail"
    assert "EXITEMPTY" in outcome.kinds(record.call_id)


def test_given_leave_empty_when_the_last_agent_logs_out_then_waiting_callers_leave():
    center = make_center(leave_empty=True, overflow=Destination(kind="hangup"))
    actions = [(20.0, lambda at: ev.AgentLogoutRequested(at=at, agent_id="li"))]
    calls = [call(1, ANI_A, talk=5), call(12, ANI_B, patience=100), call(14, VIP, patience=100)]
    outcome = run_scenario(
        center, calls, profile=profile(agents=("li",), answer=0.0), actions=actions
    )
    assert {r.outcome for r in outcome.records} == {"overflow"}
    assert outcome.of_type(ev.CallOverflowed)[0].at == pytest.approx(MONDAY_10AM + 20)


# --- agents' requests --------------------------------------------------------------------------


def test_given_an_unknown_pause_reason_then_the_request_is_refused_and_the_agent_stays_ready():
    actions = [(5.0, lambda at: ev.AgentPauseRequested(at=at, agent_id="li", reason="nap"))]
    outcome = run_scenario(
        make_center(), [call(10, ANI_A)], profile=profile(agents=("li",)), actions=actions
    )
    refused = outcome.of_type(ev.AgentRequestRefused)
    assert refused[0].request == "pause"
    assert "unknown pause reason 'nap'" in refused[0].reason
    assert outcome.record().agent_id == "li"


def test_given_a_wrap_up_extension_then_it_lasts_twice_and_a_second_one_is_refused():
    actions = [
        (35.0, lambda at: ev.AgentWrapUpExtendRequested(at=at, agent_id="li")),
        (36.0, lambda at: ev.AgentWrapUpExtendRequested(at=at, agent_id="li")),
    ]
    outcome = run_scenario(
        make_center(), [call(1, ANI_A, talk=30)], profile=profile(agents=("li",)), actions=actions
    )
    record = outcome.record()
    assert record.wrap_up_ended_at == pytest.approx(35.0 + 10 + outcome.record().arrived_at - 1)
    assert len(outcome.of_type(ev.AgentRequestRefused)) == 1


# --- explanations ------------------------------------------------------------------------------


def test_given_longest_idle_then_the_decision_lists_candidates_in_strategy_order():
    outcome = run_scenario(
        make_center(), [call(1, ANI_A, talk=5), call(40, ANI_B)], profile=profile()
    )
    second = outcome.of_type(ev.RoutingDecision)[1]
    assert second.chosen == ("zhang",)
    assert [c.agent_id for c in second.candidates] == ["zhang", "li"]
    assert second.considered == 2
    assert second.candidates[0].idle_s > second.candidates[1].idle_s


# --- positions and estimated waits --------------------------------------------------------------


async def test_given_waiting_contacts_then_positions_and_estimated_waits_follow_the_queue():
    center = make_center(expected_handle_s=120)
    store = MemoryStateStore()
    engine = Engine(center, store, RealClock(), lambda _e: None)
    await store.put_agent(AgentPresence("li", AgentState.ON_CALL))
    await store.put_agent(AgentPresence("zhang", AgentState.PAUSED, reason="lunch"))
    for seq, t in enumerate((100.0, 101.0, 102.0), start=1):
        await store.add_waiting(
            WaitingContact(f"c{seq}", "support", t, t, seq, score=rank_score(t, 0))
        )
    infos = await engine.status.snapshot("support")
    assert [(i.position, i.estimated_wait_s) for i in infos] == [(1, 120), (2, 240), (3, 360)]


# --- restart -----------------------------------------------------------------------------------


async def test_given_a_restart_then_lost_calls_close_and_paused_agents_keep_their_reason():
    center = make_center()
    store = MemoryStateStore()
    await store.put_agent(AgentPresence("li", AgentState.PAUSED, since=50.0, reason="lunch"))
    await store.put_agent(AgentPresence("zhang", AgentState.ON_CALL, since=60.0, call_id="gone"))
    await store.add_waiting(
        WaitingContact("lost", "support", 70.0, 70.0, 1, ani=ANI_A, dnis=LINE, arrived_at=65.0)
    )
    await store.add_waiting(
        WaitingContact("cb", "support", 71.0, 71.0, 2, channel="callback", callback_number=ANI_B)
    )
    engine = Engine(center, store, RealClock(), lambda _e: None)
    out = await engine.recover()
    lost = [o for o in out if isinstance(o, ev.CallLost)]
    assert [(e.call_id, e.reason) for e in lost] == [("lost", "system-restart")]
    li = await store.get_agent("li")
    assert (li.state, li.reason, li.since) == (AgentState.PAUSED, "lunch", 50.0)
    assert (await store.get_agent("zhang")).state is not AgentState.ON_CALL
    assert await store.get_waiting("cb") is not None


# --- callbacks ---------------------------------------------------------------------------------


def callback_profile(answer: float) -> SimulationProfile:
    return SimulationProfile(
        arrival_rate_per_s=0.0,
        callers=CallerBehaviour(
            patience=None, callback_probability=1.0, callback_answer_probability=answer
        ),
        agents=AgentBehaviour(ring_delay=Duration(2.0, fixed=True)),
        agent_ids=("li",),
    )


def test_given_a_caller_asking_for_a_callback_then_it_keeps_its_place_and_the_agent_calls_back():
    center = make_center(announce_every_s=20, callback_key="1")
    calls = [call(1, ANI_A, talk=100), call(5, ANI_B, talk=20), call(30, VIP, talk=20)]
    outcome = run_scenario(center, calls, profile=callback_profile(1.0))
    by_kind = {(r.ani, r.direction): r for r in outcome.records}
    assert by_kind[(ANI_B, "inbound")].outcome == "callback"
    callback = by_kind[(ANI_B, "callback")]
    assert (callback.outcome, callback.agent_id) == ("answered", "li")
    # The callback was served before the caller who came later, although that one never left.
    answered = [
        r.ani for r in sorted(outcome.records, key=lambda r: r.answered_at or 1e12) if r.answered_at
    ]
    assert answered.index(ANI_B) < answered.index(VIP)
    assert "CALLBACK" in outcome.kinds(by_kind[(ANI_B, "inbound")].call_id)


def test_given_a_callback_nobody_answers_then_it_is_retried_and_then_recorded_as_failed():
    center = make_center(
        announce_every_s=20, callback_key="1", callback_retries=1, callback_retry_s=60
    )
    outcome = run_scenario(
        center, [call(1, ANI_A, talk=30), call(5, ANI_B)], profile=callback_profile(0.0)
    )
    callback = next(r for r in outcome.records if r.direction == "callback")
    assert callback.outcome == "callback-failed"
    failures = [e for e in outcome.events if e.kind == "CALLBACKFAILED"]
    assert [(e.data["attempt"], e.data["will_retry"]) for e in failures] == [(1, True), (2, False)]
    li = [e.state for e in outcome.of_type(ev.AgentStateChanged) if e.agent_id == "li"]
    assert li[-1] is AgentState.LOGGED_OUT


def test_given_overflow_to_callback_then_max_wait_turns_the_caller_into_a_callback_in_place():
    center = make_center(
        max_wait_s=30, overflow=Destination(kind="callback"), overflow_prompt="sorry-busy"
    )
    calls = [call(1, ANI_A, talk=100), call(5, ANI_B, talk=20), call(50, VIP, talk=20)]
    outcome = run_scenario(center, calls, profile=callback_profile(1.0))
    record = {(r.ani, r.direction): r for r in outcome.records}
    assert record[(ANI_B, "inbound")].outcome == "callback"
    assert "EXITWITHTIMEOUT" in outcome.kinds(record[(ANI_B, "inbound")].call_id)
    first, later = record[(ANI_B, "callback")], record[(VIP, "callback")]
    assert (first.outcome, later.outcome) == ("answered", "answered")
    assert first.answered_at < later.answered_at  # each kept its place in line


def test_given_callback_named_outside_a_queue_overflow_then_check_config_refuses_it():
    from config.center_file import check_center

    center = make_center().model_copy(update={"numbers": {LINE: Destination(kind="callback")}})
    assert check_center(center, "c.toml") == [
        f"c.toml: numbers.{LINE}: 'callback' is only a queue overflow: the caller must have a "
        "place in line"
    ]
