"""The whole inbound call path on the simulated carrier and the virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acd import events as ev
from config.center import AgentDef, Center, Destination, HoursDef, MenuDef, QueueDef
from telephony.sim.behaviour import (
    AgentBehaviour,
    CallerBehaviour,
    Duration,
    ScriptedCall,
    SimulationProfile,
)
from tests.scenario import run_scenario

pytestmark = pytest.mark.unit

MAIN = "4008001000"
SUPPORT_LINE = "4008001001"


def dest(text: str) -> Destination:
    return Destination.parse(text)


def make_center(**queue_changes: dict[str, object]) -> Center:
    queues = {
        "sales": QueueDef(skills={"sales": 2}, wrap_up_s=10, ring_timeout_s=15),
        "support": QueueDef(skills={"support": 1}, wrap_up_s=0),
    }
    for name, changes in queue_changes.items():
        queues[name] = queues[name].model_copy(update=changes)
    return Center(
        skills={"sales": "Sales", "support": "Support"},
        queues=queues,
        agents={
            "li": AgentDef(name="Li Na", extension="1001", skills={"sales": 5}),
            "wang": AgentDef(name="Wang Wei", extension="1002", skills={"support": 3}),
            "zhang": AgentDef(name="Zhang Min", extension="1003", skills={"sales": 2}),
        },
        menus={
            "main": MenuDef(
                prompt="welcome",
                options={"1": dest("queue:sales"), "2": dest("queue:support")},
                timeout_s=5,
                retries=2,
                default=dest("queue:support"),
            )
        },
        numbers={MAIN: dest("menu:main"), SUPPORT_LINE: dest("queue:support")},
    )


def profile(*, answer: float = 1.0, agents: tuple[str, ...] | None = None) -> SimulationProfile:
    return SimulationProfile(
        arrival_rate_per_s=0.0,
        callers=CallerBehaviour(patience=None),
        agents=AgentBehaviour(ring_delay=Duration(2.0, fixed=True), answer_probability=answer),
        prompt_s=4.0,
        agent_ids=agents,
    )


def test_given_a_caller_choosing_sales_when_agents_are_free_then_record_and_events_are_written():
    outcome = run_scenario(
        make_center(),
        [ScriptedCall(after_s=1, dnis=MAIN, digits="1", talk_s=30)],
        profile=profile(),
    )
    record = outcome.record()
    assert (record.queue, record.agent_id, record.outcome) == ("sales", "li", "answered")
    assert record.queued_at == pytest.approx(record.arrived_at + 4 + 1.5)
    assert record.answered_at == pytest.approx(record.queued_at + 2)
    assert record.ended_at == pytest.approx(record.answered_at + 30)
    assert record.wrap_up_ended_at == pytest.approx(record.ended_at + 10)
    kinds = outcome.kinds(record.call_id)
    assert kinds[:6] == ["OFFERED", "ROUTE", "ROUTE", "ENTERQUEUE", "ROUTING", "CONNECT"]
    assert kinds[6] in ("COMPLETEAGENT", "COMPLETECALLER")
    assert kinds[7:] == ["WRAPUPEND"]
    routing = next(e for e in outcome.events if e.kind == "ROUTING")
    assert routing.agent_id == "li"
    assert routing.data["strategy"] == "longest-idle"
    assert [c["agent_id"] for c in routing.data["candidates"]] == ["li", "zhang"]
    seqs = [e.seq for e in outcome.events if e.call_id == record.call_id]
    assert seqs == sorted(seqs)


def test_given_one_sales_agent_just_finished_when_a_call_arrives_then_the_longest_idle_gets_it():
    calls = [
        ScriptedCall(after_s=1, dnis=MAIN, digits="1", talk_s=30, ani="+8613800000001"),
        ScriptedCall(after_s=100, dnis=MAIN, digits="1", talk_s=30, ani="+8613800000002"),
    ]
    outcome = run_scenario(make_center(), calls, profile=profile())
    assert [outcome.record(0).agent_id, outcome.record(1).agent_id] == ["li", "zhang"]


def test_given_a_support_call_then_only_an_agent_with_the_support_skill_is_offered_it():
    outcome = run_scenario(
        make_center(), [ScriptedCall(after_s=1, dnis=SUPPORT_LINE, talk_s=10)], profile=profile()
    )
    assert outcome.record().agent_id == "wang"
    assert {e.agent_id for e in outcome.of_type(ev.AgentRinging)} == {"wang"}


def test_given_no_agent_when_the_caller_gives_up_then_the_call_is_abandoned_with_its_wait():
    outcome = run_scenario(
        make_center(),
        [ScriptedCall(after_s=1, dnis=SUPPORT_LINE, patience_s=12)],
        profile=profile(agents=()),
    )
    record = outcome.record()
    assert record.outcome == "abandoned"
    assert record.wait_s == pytest.approx(12)
    abandon = next(e for e in outcome.events if e.kind == "ABANDON")
    assert abandon.data["wait_s"] == pytest.approx(12)
    assert abandon.data["position"] == 1


def test_given_max_wait_when_it_passes_then_the_call_overflows_to_the_next_queue_and_is_answered():
    center = make_center(sales={"max_wait_s": 30, "overflow": dest("queue:support")})
    outcome = run_scenario(
        center,
        [ScriptedCall(after_s=1, dnis=MAIN, digits="1", talk_s=20)],
        profile=profile(agents=("wang",)),
    )
    record = outcome.record()
    assert (record.queue, record.agent_id, record.outcome) == ("support", "wang", "answered")
    kinds = outcome.kinds(record.call_id)
    assert kinds.index("EXITWITHTIMEOUT") < kinds.index("CONNECT")
    assert kinds.count("ENTERQUEUE") == 2
    connect = next(e for e in outcome.events if e.kind == "CONNECT")
    assert connect.data["wait_s"] == pytest.approx(30 + 2)


def test_given_overflow_to_voicemail_then_the_caller_leaves_a_message():
    center = make_center(sales={"max_wait_s": 20, "overflow": dest("voicemail:sales")})
    outcome = run_scenario(
        center, [ScriptedCall(after_s=1, dnis=MAIN, digits="1")], profile=profile(agents=())
    )
    record = outcome.record()
    assert record.outcome == "voicemail"
    assert "VOICEMAIL" in outcome.kinds(record.call_id)


def test_given_a_full_queue_when_another_call_comes_then_it_exits_full_to_the_overflow():
    center = make_center(support={"max_length": 1, "overflow": dest("hangup")})
    calls = [
        ScriptedCall(after_s=1, dnis=SUPPORT_LINE, patience_s=60),
        ScriptedCall(after_s=2, dnis=SUPPORT_LINE, patience_s=60),
    ]
    outcome = run_scenario(center, calls, profile=profile(agents=()))
    first, second = outcome.record(0), outcome.record(1)
    assert first.outcome == "abandoned"
    assert second.outcome == "overflow"
    assert "EXITFULL" in outcome.kinds(second.call_id)


def test_given_an_agent_who_does_not_answer_then_the_call_keeps_its_place_and_the_agent_pauses():
    center = make_center(support={"auto_pause_after": 2, "ring_timeout_s": 10})
    calls = [
        ScriptedCall(after_s=1, dnis=SUPPORT_LINE, patience_s=100),
        ScriptedCall(after_s=3, dnis=SUPPORT_LINE, patience_s=100),
    ]
    outcome = run_scenario(center, calls, profile=profile(answer=0.0, agents=("wang",)))
    first = outcome.record(0).call_id
    rings = [e.call_id for e in outcome.of_type(ev.AgentRinging)]
    assert rings == [first, first]
    assert [e.kind for e in outcome.events if e.call_id == first].count("RINGNOANSWER") == 2
    pause = next(e for e in outcome.events if e.kind == "PAUSE")
    assert (pause.agent_id, pause.data["reason"]) == ("wang", "no-answer")
    assert {r.outcome for r in outcome.records} == {"abandoned"}


def test_given_a_pause_asked_during_a_call_then_it_starts_after_wrap_up_and_no_call_is_offered():
    calls = [
        ScriptedCall(after_s=1, dnis=MAIN, digits="1", talk_s=60),
        ScriptedCall(after_s=30, dnis=MAIN, digits="1", patience_s=200),
    ]
    actions = [(20.0, lambda at: ev.AgentPauseRequested(at=at, agent_id="li", reason="lunch"))]
    outcome = run_scenario(make_center(), calls, profile=profile(agents=("li",)), actions=actions)
    first, second = outcome.record(0), outcome.record(1)
    assert first.outcome == "answered"
    assert second.outcome == "abandoned"
    pause = next(e for e in outcome.events if e.kind == "PAUSE")
    assert pause.at == pytest.approx(first.wrap_up_ended_at)
    assert pause.data["reason"] == "lunch"


def test_given_invalid_keys_then_the_menu_asks_again_and_then_takes_its_default():
    outcome = run_scenario(
        make_center(),
        [ScriptedCall(after_s=1, dnis=MAIN, digits="777", talk_s=5)],
        profile=profile(),
    )
    record = outcome.record()
    assert record.queue == "support"
    routes = [e.data["destination"] for e in outcome.events if e.kind == "ROUTE"]
    assert routes == ["menu:main", "queue:support"]


def test_given_the_center_is_closed_then_the_call_goes_to_the_after_hours_destination():
    center = make_center().model_copy(
        update={"hours": HoursDef(weekly={"mon": ["09:00-18:00"]}, after_hours=dest("hangup"))}
    )
    evening = datetime(2026, 1, 5, 20, 0, tzinfo=UTC).timestamp()
    outcome = run_scenario(
        center, [ScriptedCall(after_s=1, dnis=MAIN)], start=evening, profile=profile()
    )
    assert outcome.record().outcome == "after-hours"
    assert outcome.record().queued_at is None


def test_given_an_unknown_dialled_number_then_the_call_is_released_as_unroutable():
    outcome = run_scenario(make_center(), [ScriptedCall(after_s=1, dnis="999")], profile=profile())
    assert outcome.record().outcome == "unroutable"


def test_given_logout_during_a_call_then_the_agent_logs_off_after_the_call():
    actions = [(10.0, lambda at: ev.AgentLogoutRequested(at=at, agent_id="wang"))]
    outcome = run_scenario(
        make_center(),
        [ScriptedCall(after_s=1, dnis=SUPPORT_LINE, talk_s=30)],
        profile=profile(agents=("wang",)),
        actions=actions,
    )
    record = outcome.record()
    logoffs = [e for e in outcome.events if e.kind == "AGENTLOGOFF"]
    assert record.outcome == "answered"
    assert logoffs[0].at == pytest.approx(record.ended_at)


def test_given_simultaneous_calls_then_no_agent_is_ever_offered_two_at_once():
    calls = [ScriptedCall(after_s=1 + i * 0.5, dnis=SUPPORT_LINE, talk_s=40) for i in range(6)]
    center = make_center()
    outcome = run_scenario(center, calls, profile=profile(agents=("wang",)))
    busy_until = 0.0
    for ring in outcome.of_type(ev.AgentRinging):
        assert ring.at >= busy_until
        record = next(r for r in outcome.records if r.call_id == ring.call_id)
        busy_until = record.wrap_up_ended_at or record.ended_at or ring.at
    assert all(r.outcome == "answered" for r in outcome.records)


def test_given_an_agent_pausing_while_the_phone_rings_then_the_call_goes_to_another_agent():
    center = make_center(support={"ring_timeout_s": 30})
    center = center.model_copy(
        update={
            "agents": {
                **center.agents,
                "zhao": AgentDef(name="Zhao Lei", extension="1004", skills={"support": 1}),
            }
        }
    )
    actions = [(2.0, lambda at: ev.AgentPauseRequested(at=at, agent_id="wang", reason="break"))]
    no_answer = SimulationProfile(
        arrival_rate_per_s=0.0,
        callers=CallerBehaviour(patience=None),
        agents=AgentBehaviour(ring_delay=Duration(5.0, fixed=True)),
        agent_ids=("wang", "zhao"),
    )
    outcome = run_scenario(
        center,
        [ScriptedCall(after_s=1, dnis=SUPPORT_LINE, talk_s=10)],
        profile=no_answer,
        actions=actions,
    )
    rings = [e.agent_id for e in outcome.of_type(ev.AgentRinging)]
    assert rings == ["wang", "zhao"]
    assert outcome.record().agent_id == "zhao"
    wang = [e for e in outcome.of_type(ev.AgentStateChanged) if e.agent_id == "wang"]
    assert [e.state for e in wang][:3] == ["available", "reserved", "paused"]
