"""Who gets in: agents' phones (pyVoIP) register with digest authentication, a wrong password is
refused and logged and the agent may then not go Ready; an INVITE from an address that is no
trunk's gets 403 and a log line (SIPp from 127.0.0.2); a trunk peer with digest credentials is
challenged and then admitted."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from sip_carrier_support import (
    TRUNK_PASSWORD,
    AgentPhone,
    carrier_center,
    prepare_sipp_dir,
    run_sipp,
    sipp_available,
    start_harness,
    start_phone,
    stop_phone,
    telephony_def,
)

from acd import commands as cmd
from acd import events as ev
from config.telephony import TrunkDef

VoIP = pytest.importorskip("pyVoIP.VoIP")
pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
needs_sipp = pytest.mark.skipif(not sipp_available(), reason="sipp or its pcaps are not installed")


async def test_given_right_password_when_phone_registers_then_agent_may_go_ready(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    agent = AgentPhone("1001")
    try:
        assert (
            harness.stack.phones.ready_refusal("a1")
            == "your phone (extension 1001) is not registered"
        )
        await start_phone(VoIP, harness, agent)
        assert harness.stack.carrier.is_registered("a1")
        assert harness.stack.phones.ready_refusal("a1") is None
        assert not harness.stack.carrier.is_registered("a2")
        await stop_phone(agent)
        assert not harness.stack.carrier.is_registered("a1")
    finally:
        await harness.close()


async def test_given_wrong_password_when_phone_registers_then_refused_logged_and_not_ready(
    tmp_path,
):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    agent = AgentPhone("1001")
    try:
        with structlog.testing.capture_logs() as logs:
            await start_phone(VoIP, harness, agent, password="wrong-password")
            await stop_phone(agent)
    finally:
        await harness.close()
    assert not harness.stack.carrier.is_registered("a1")
    assert harness.stack.phones.ready_refusal("a1") is not None
    refusals = [e for e in logs if e["event"] == "sip register refused"]
    assert refusals, logs
    assert refusals[0]["user"] == "1001"
    assert refusals[0]["reason"] == "wrong response"
    assert refusals[0]["source"].startswith("127.0.0.1:")
    assert "wrong-password" not in repr(logs)


def test_given_desktop_only_center_when_phone_not_registered_then_ready_allowed(tmp_path):
    from acd.clock import RealClock
    from telephony.carrier.phones import PhoneRegistry

    phones = PhoneRegistry(
        carrier_center(), {}, RealClock(), realm="r", nonce_secret=b"k", desktop_only=True
    )
    assert phones.ready_refusal("a1") is None
    assert not phones.is_registered("a1")


@needs_sipp
async def test_given_caller_not_from_a_trunk_when_invite_then_403_and_logged(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        with structlog.testing.capture_logs() as logs:
            code, errors = await run_sipp(work, "forbidden.xml", harness.address, "-i", "127.0.0.2")
    finally:
        await harness.close()
    assert code == 0, errors
    refused = [e for e in logs if e["event"] == "sip invite refused"]
    assert len(refused) == 1
    assert refused[0]["source"].startswith("127.0.0.2:")
    assert refused[0]["reason"] == "source address is not a trunk's"
    assert "+15550100" in refused[0]["from_uri"]
    assert harness.of(ev.CallOffered) == []
    assert harness.stack.carrier.active_calls == 0


@needs_sipp
async def test_given_digest_trunk_when_peer_authenticates_then_call_admitted(tmp_path):
    trunks = {"carrier-a": TrunkDef(addresses=["127.0.0.1/32"], username="carrier-a")}
    telephony = telephony_def(tmp_path, trunks=trunks, digest_algorithms=["MD5"])
    harness = await start_harness(
        carrier_center(), telephony, trunk_passwords={"carrier-a": TRUNK_PASSWORD}
    )
    work = prepare_sipp_dir(tmp_path)
    try:
        code, errors = await run_sipp(
            work, "trunk_auth.xml", harness.address, "-i", "127.0.0.2",
            "-au", "carrier-a", "-ap", TRUNK_PASSWORD,
        )  # fmt: skip
        await harness.wait_for(ev.CallEnded, by="caller")
    finally:
        await harness.close()
    assert code == 0, errors
    (offered,) = harness.of(ev.CallOffered)
    assert (offered.ani, offered.dnis) == ("+15550100", "200")


@needs_sipp
async def test_given_digest_trunk_when_peer_has_wrong_password_then_403(tmp_path):
    trunks = {"carrier-a": TrunkDef(username="carrier-a")}
    telephony = telephony_def(tmp_path, trunks=trunks, digest_algorithms=["MD5"])
    harness = await start_harness(
        carrier_center(), telephony, trunk_passwords={"carrier-a": TRUNK_PASSWORD}
    )
    work = prepare_sipp_dir(tmp_path)
    try:
        with structlog.testing.capture_logs() as logs:
            code, errors = await run_sipp(
                work, "trunk_auth_refused.xml", harness.address, "-i", "127.0.0.2",
                "-au", "carrier-a", "-ap", "not-the-password",
            )  # fmt: skip
    finally:
        await harness.close()
    assert code == 0, errors
    refused = [e for e in logs if e["event"] == "sip invite refused"]
    assert refused[0]["reason"] == "digest refused: wrong response"
    assert harness.of(ev.CallOffered) == []


async def test_given_callback_offer_when_agent_answers_without_outbound_trunk_then_released(
    tmp_path,
):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    agent = AgentPhone("1001", check_audio=False, hang_up=False)
    carrier = harness.stack.carrier
    offer = {"agent_id": "a1", "extension": "1001", "queue": "support", "ring_timeout_s": 10.0}
    try:
        await start_phone(VoIP, harness, agent)
        await carrier.execute(cmd.OfferToAgent(call_id="gone", **offer))  # an inbound call, over
        await carrier.execute(cmd.OfferToAgent(call_id="c1-cb", **offer))
        await harness.wait_for(ev.AgentAnswered, call_id="c1-cb")
        await carrier.execute(
            cmd.Originate(call_id="c1-cb", agent_id="a1", number="+8613800000001")
        )
        (ended,) = await harness.wait_for(ev.CallEnded, call_id="c1-cb")
        await asyncio.to_thread(agent.done.wait, 10)
    finally:
        await stop_phone(agent)
        await harness.close()
    assert (ended.by, ended.cause) == ("system", "no outbound trunk configured")
    assert agent.rings == 1
    assert agent.hung_up_on
