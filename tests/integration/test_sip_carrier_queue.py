"""Queue behaviour over real peers: a caller who hangs up while waiting (with hold music, and
while an agent's phone rings) is an ABANDON and the phone gets a CANCEL; position announcements
break into the hold music; a caller who cancels while it still rings gets 487; an agent whose
phone rings unanswered puts the call back at its place in line and is paused after
`auto_pause_after` misses."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from sip_carrier_support import (
    ANNOUNCEMENT_HZ,
    AgentPhone,
    carrier_center,
    prepare_sipp_dir,
    run_sipp,
    sipp_available,
    start_harness,
    start_phone,
    start_sipp,
    stop_phone,
    telephony_def,
)

from acd import events as ev
from telephony.media.tones import detect_tone

VoIP = pytest.importorskip("pyVoIP.VoIP")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not sipp_available(), reason="sipp or its pcaps are not installed"),
]
HOLD_MUSIC_HZ = 440.0


def leg_moves(logs: list[dict[str, object]], leg: str) -> list[object]:
    return [e["move"] for e in logs if e["event"] == "leg" and e["leg"] == leg]


async def comes_back(harness, call_id: str, frequency: float = HOLD_MUSIC_HZ) -> bool:
    """SIPp echoes what it hears: a tone of ours coming back proves the caller heard it."""
    call = harness.stack.carrier.calls[call_id]
    tap = call.media.session.tap()
    for _ in range(150):
        if detect_tone(await asyncio.wait_for(tap.read(), 2.0), frequency):
            return True
    return False


async def test_given_caller_waiting_while_phone_rings_when_caller_hangs_up_then_abandon_and_cancel(
    tmp_path,
):
    harness = await start_harness(carrier_center(ring_timeout_s=30), telephony_def(tmp_path))
    agent = AgentPhone("1001", answer=False)
    work = prepare_sipp_dir(tmp_path)
    try:
        await start_phone(VoIP, harness, agent)
        harness.login("a1")
        await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="available")
        with structlog.testing.capture_logs() as logs:
            sipp = await start_sipp(work, "caller_waits.xml", harness.address, "-d", "4000")
            (queued,) = await harness.wait_for(ev.CallQueued)
            await harness.wait_for(ev.AgentRinging)
            heard_music = await comes_back(harness, queued.call_id)
            _, stderr = await asyncio.wait_for(sipp.communicate(), 30)
            (abandoned,) = await harness.wait_for(ev.CallAbandoned)
            await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="available", count=2)
            await asyncio.sleep(0.3)  # the phone answers our CANCEL
    finally:
        await stop_phone(agent)
        await harness.close()
    assert sipp.returncode == 0, stderr.decode(errors="replace")
    assert heard_music
    assert (abandoned.queue, abandoned.position) == ("support", 1)
    assert abandoned.wait_s >= 3.5
    assert agent.rings == 1
    assert leg_moves(logs, "agent:a1") == ["ringing -[cancel]-> cancelling"]
    (finished,) = harness.of(ev.CallFinished)
    assert finished.outcome == "abandoned"
    assert [e.by for e in harness.of(ev.CallEnded)] == ["caller"]


async def test_given_ringback_delay_when_caller_cancels_then_487_and_call_ended(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path, answer_delay_s=3.0))
    work = prepare_sipp_dir(tmp_path)
    try:
        with structlog.testing.capture_logs() as logs:
            code, errors = await run_sipp(work, "cancel_while_ringing.xml", harness.address)
            (ended,) = await harness.wait_for(ev.CallEnded)
            await harness.wait_for(ev.CallFinished)
    finally:
        await harness.close()
    assert code == 0, errors
    assert (ended.by, ended.cause) == ("caller", "cancelled")
    assert leg_moves(logs, "caller") == ["ringing -[cancel]-> ended"]
    assert harness.stack.carrier.active_calls == 0


async def test_given_agent_not_answering_when_rings_time_out_then_call_keeps_place_and_agent_paused(
    tmp_path,
):
    center = carrier_center(ring_timeout_s=2, auto_pause_after=2)
    harness = await start_harness(center, telephony_def(tmp_path))
    agent = AgentPhone("1001", answer=False)
    work = prepare_sipp_dir(tmp_path)
    try:
        await start_phone(VoIP, harness, agent)
        harness.login("a1")
        await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="available")
        with structlog.testing.capture_logs() as logs:
            sipp = await start_sipp(
                work, "caller_waits.xml", harness.address, "-d", "9000", "-m", "2", "-r", "1"
            )
            first, second = await harness.wait_for(ev.CallQueued, count=2)
            misses = await harness.wait_for(ev.RingNoAnswer, count=2, timeout=15)
            paused = await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="paused")
            positions = [await harness.engine.store.position(c.call_id) for c in (first, second)]
            _, stderr = await asyncio.wait_for(sipp.communicate(), 40)
            abandons = await harness.wait_for(ev.CallAbandoned, count=2)
    finally:
        await stop_phone(agent)
        await harness.close()
    assert sipp.returncode == 0, stderr.decode(errors="replace")
    assert (first.position, second.position) == (1, 2)
    assert [m.call_id for m in misses] == [first.call_id, first.call_id]
    assert all(m.ring_s >= 1.9 for m in misses)
    assert paused[0].reason == "no-answer"
    assert positions == [1, 2]  # back in line at the same place, ahead of the later caller
    assert agent.rings == 2
    assert leg_moves(logs, "agent:a1") == ["ringing -[cancel]-> cancelling"] * 2
    assert {a.call_id: a.position for a in abandons}[first.call_id] == 1
    assert len(harness.of(ev.AgentRinging)) == 2  # nobody rang once the agent was paused


async def test_given_queue_announcing_positions_when_caller_waits_then_hears_announcement_and_music(
    tmp_path,
):
    harness = await start_harness(carrier_center(announce_every_s=1.0), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        sipp = await start_sipp(work, "caller_waits.xml", harness.address, "-d", "4000")
        (queued,) = await harness.wait_for(ev.CallQueued)
        heard_announcement = await comes_back(harness, queued.call_id, ANNOUNCEMENT_HZ)
        heard_music_again = await comes_back(harness, queued.call_id, HOLD_MUSIC_HZ)
        _, stderr = await asyncio.wait_for(sipp.communicate(), 30)
        await harness.wait_for(ev.CallAbandoned)
    finally:
        await harness.close()
    assert sipp.returncode == 0, stderr.decode(errors="replace")
    assert heard_announcement
    assert heard_music_again
