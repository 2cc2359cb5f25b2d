"""A whole call over real peers, with the real routing engine on the real clock: SIPp calls the
IVR number, presses 1 (RFC 2833), waits in the queue with hold music, and is bridged to the
agent's pyVoIP phone (registered with digest); a tone sent each way crosses the bridge; the agent
hangs up and the caller gets our BYE."""

from __future__ import annotations

import asyncio
import wave

import pytest
from sip_carrier_support import (
    CALLER_TONE_HZ,
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


@pytest.mark.parametrize("transport", [(), ("-t", "t1")], ids=["udp", "tcp"])
async def test_given_ivr_call_when_caller_presses_1_and_agent_answers_then_bridged_both_ways(
    tmp_path, transport
):
    # Over TCP the caller gets our BYE (the scenario's end) only on its own connection.
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    agent = AgentPhone("1001")
    work = prepare_sipp_dir(tmp_path)
    try:
        await start_phone(VoIP, harness, agent)
        harness.login("a1")
        await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="available")
        code, errors = await run_sipp(work, "ivr_to_agent.xml", harness.address, *transport)
        await harness.wait_for(ev.CallFinished)
        await asyncio.to_thread(agent.done.wait, 10)
    finally:
        await stop_phone(agent)
        await harness.close()
    assert code == 0, errors
    (offered,) = harness.of(ev.CallOffered)
    assert (offered.ani, offered.dnis) == ("+8613800000001", "100")
    assert [d.digits for d in harness.of(ev.DigitsCollected)] == ["1"]
    (queued,) = harness.of(ev.CallQueued)
    assert (queued.queue, queued.position) == ("support", 1)
    (connected,) = harness.of(ev.CallConnected)
    assert connected.agent_id == "a1"
    (completed,) = harness.of(ev.CallCompleted)
    assert completed.by == "agent"
    assert harness.of(ev.CallFinished)[0].outcome == "answered"
    assert agent.heard_caller, "the caller's 1000 Hz tone did not reach the agent"
    assert agent.heard_itself, "the agent's 1500 Hz tone did not come back from the caller"
    assert harness.stack.carrier.active_calls == 0


async def connected_call(harness, agent: AgentPhone) -> None:
    await start_phone(VoIP, harness, agent)
    harness.login("a1")
    await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="available")


async def test_given_bridged_call_when_caller_hangs_up_then_agent_phone_gets_bye(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    agent = AgentPhone("1001", hang_up=False)
    work = prepare_sipp_dir(tmp_path)
    try:
        await connected_call(harness, agent)
        code, errors = await run_sipp(
            work, "caller_speaks.xml", harness.address, "-s", "200", "-d", "8000"
        )
        (completed,) = await harness.wait_for(ev.CallCompleted)
        await asyncio.to_thread(agent.done.wait, 10)
    finally:
        await stop_phone(agent)
        await harness.close()
    assert code == 0, errors
    assert completed.by == "caller"
    assert agent.heard_caller
    assert agent.heard_itself
    assert agent.hung_up_on, "the agent's phone got no BYE"


async def test_given_bridged_call_when_agent_hangs_up_at_the_desk_then_both_sides_get_bye(
    tmp_path,
):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    agent = AgentPhone("1001", hang_up=False)
    work = prepare_sipp_dir(tmp_path)
    try:
        await connected_call(harness, agent)
        sipp = await start_sipp(work, "hung_up_on.xml", harness.address, "-s", "200")
        (connected,) = await harness.wait_for(ev.CallConnected)
        await asyncio.sleep(1.0)
        assert not harness.stack.carrier.hang_up(connected.call_id, "a2")
        assert harness.stack.carrier.hang_up(connected.call_id, "a1")
        _, stderr = await asyncio.wait_for(sipp.communicate(), 30)
        (completed,) = await harness.wait_for(ev.CallCompleted)
        await asyncio.to_thread(agent.done.wait, 15)
    finally:
        await stop_phone(agent)
        await harness.close()
    assert sipp.returncode == 0, stderr.decode(errors="replace")
    assert completed.by == "agent"
    assert agent.hung_up_on
    assert not harness.stack.carrier.hang_up(connected.call_id, "a1")


async def test_given_number_routed_to_hangup_when_called_then_center_sends_bye(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        code, errors = await run_sipp(work, "hung_up_on.xml", harness.address, "-s", "400")
        (ended,) = await harness.wait_for(ev.CallEnded)
    finally:
        await harness.close()
    assert code == 0, errors
    assert ended.by == "system"


async def test_given_voicemail_number_when_caller_speaks_then_message_recorded(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        code, errors = await run_sipp(
            work, "caller_speaks.xml", harness.address, "-s", "300", "-d", "4000"
        )
        (recorded,) = await harness.wait_for(ev.VoicemailRecorded)
        (ended,) = await harness.wait_for(ev.CallEnded)
    finally:
        await harness.close()
    assert code == 0, errors
    assert recorded.mailbox == "sales"
    assert 1.5 < recorded.duration_s < 4.0
    assert ended.by == "caller"
    assert harness.events.index(recorded) < harness.events.index(ended)
    (message,) = (tmp_path / "voicemail" / "sales").glob("*.wav")
    with wave.open(str(message), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    assert detect_tone(pcm[-16000:-8000], CALLER_TONE_HZ)


async def test_given_agent_phone_not_registered_when_offered_then_declined_and_paused(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        harness.login("a1")  # the desk would refuse this (ready_refusal); the engine does not know
        code, errors = await run_sipp(work, "caller_waits.xml", harness.address, "-d", "2000")
        await harness.wait_for(ev.CallAbandoned)
    finally:
        await harness.close()
    assert code == 0, errors
    declined = harness.of(ev.OfferDeclined)
    assert [d.reason for d in declined] == ["phone not registered"] * 2
    paused = [s for s in harness.of(ev.AgentStateChanged) if s.state == "paused"]
    assert paused[0].reason == "no-answer"
