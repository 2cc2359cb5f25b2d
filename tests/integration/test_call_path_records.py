"""One full simulated call, recorded to a real database and read back (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import VirtualClock, run_virtual
from config.center_file import load_center, sample_center_path
from crm_core.record_store import SqlRecordSink, load_events, load_records, next_event_seq
from telephony.sim.behaviour import (
    AgentBehaviour,
    CallerBehaviour,
    Duration,
    ScriptedCall,
    SimulationProfile,
)
from telephony.sim.center import SimulatedCenter

# Monday 2026-01-05 10:00 in Shanghai: the sample center is open.
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def simulate_one_call(sessions: sessionmaker[Session], call: ScriptedCall, seed: int = 1) -> None:
    center = load_center(sample_center_path())
    profile = SimulationProfile(
        arrival_rate_per_s=0.0,
        callers=CallerBehaviour(patience=None),
        agents=AgentBehaviour(ring_delay=Duration(3.0, fixed=True)),
    )

    async def main(clock: VirtualClock) -> None:
        sim = SimulatedCenter(
            center,
            clock,
            SqlRecordSink(sessions),
            profile,
            seed=seed,
            first_seq=next_event_seq(sessions),
        )
        await sim.start()
        sim.schedule([call])
        await clock.sleep(600)
        await sim.settle()
        await sim.stop()

    run_virtual(main, START.timestamp())


def test_given_a_caller_pressing_1_then_its_record_and_ordered_events_are_in_the_database(
    db_sessions: sessionmaker[Session],
):
    simulate_one_call(
        db_sessions,
        ScriptedCall(after_s=5, dnis="4008001000", digits="1", ani="+8613912345678", talk_s=42),
    )
    records = load_records(db_sessions, START, START + timedelta(hours=1))
    assert len(records) == 1
    record = records[0]
    assert (record.direction, record.ani, record.dnis) == (
        "inbound",
        "+8613912345678",
        "4008001000",
    )
    assert (record.queue, record.outcome) == ("sales", "answered")
    assert record.agent_id is not None
    assert record.answered_at - record.queued_at == pytest.approx(3.0, abs=1e-3)
    assert record.talk_s == pytest.approx(42.0, abs=1e-3)
    assert record.wrap_up_ended_at is not None
    assert record.wrap_up_ended_at > record.ended_at

    events = load_events(db_sessions, call_id=record.call_id)
    kinds = [e.kind for e in events]
    assert kinds[:6] == ["OFFERED", "ROUTE", "ROUTE", "ENTERQUEUE", "ROUTING", "CONNECT"]
    assert kinds[6] in ("COMPLETEAGENT", "COMPLETECALLER")
    assert kinds[7] == "WRAPUPEND"
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    connect = events[5]
    assert (connect.queue, connect.agent_id) == ("sales", record.agent_id)

    agent_events = load_events(db_sessions, call_id="")
    assert {e.kind for e in agent_events} >= {"AGENTLOGIN", "AGENTLOGOFF"}


def test_given_a_second_run_then_event_order_continues_after_the_first(
    db_sessions: sessionmaker[Session],
):
    first = ScriptedCall(after_s=5, dnis="4008001001", talk_s=10)
    simulate_one_call(db_sessions, first, seed=1)
    simulate_one_call(db_sessions, first, seed=2)
    seqs = [e.seq for e in load_events(db_sessions)]
    assert len(seqs) == len(set(seqs))
    assert len(load_records(db_sessions, START, START + timedelta(hours=1))) == 2
