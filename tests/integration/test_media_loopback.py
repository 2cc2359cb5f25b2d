"""RTP endpoints and media sessions on 127.0.0.1: a tone sent each way is detected on the other
side, symmetric RTP, the relay bridge (untouched payloads and transcoding), RFC 4733 digits,
RTCP reports, recording, music on hold, and the port range."""

from __future__ import annotations

import asyncio
import socket
import wave
from collections.abc import AsyncIterator
from itertools import count

import pytest

from acd.clock import RealClock
from telephony.media.codecs import PcmaCodec, PcmuCodec, get_codec
from telephony.media.collect import CollectSpec
from telephony.media.media_session import MediaSession, RelayBridge, frames_of
from telephony.media.rtcp import ReceiverReport, SenderReport
from telephony.media.rtcp_schedule import RtcpSchedule
from telephony.media.rtp_endpoint import PortAllocator, PortRange, PortsExhausted, RtpEndpoint
from telephony.media.rtp_packet import RtpPacket
from telephony.media.tones import detect_tone, tone
from telephony.media.wav import WavRecorder

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]
_ranges = count(0)


@pytest.fixture
def allocator() -> PortAllocator:
    base = 41000 + 40 * (next(_ranges) % 100)
    return PortAllocator("127.0.0.1", PortRange(base, base + 39))


async def endpoint(allocator: PortAllocator, codec: str = "PCMU", dtmf: int | None = 101):
    c = get_codec(codec)
    return await RtpEndpoint.open(allocator, c, c.payload_type, dtmf)


def connect(a: RtpEndpoint, b: RtpEndpoint) -> None:
    a.set_remote(("127.0.0.1", b.local_port))
    b.set_remote(("127.0.0.1", a.local_port))


@pytest.fixture
async def pair(allocator) -> AsyncIterator[tuple[MediaSession, MediaSession]]:
    a, b = await endpoint(allocator), await endpoint(allocator)
    connect(a, b)
    sessions = MediaSession(a), MediaSession(b)
    for s in sessions:
        s.start()
    yield sessions
    for s in sessions:
        await s.stop()
        s.endpoint.close()


async def heard(session: MediaSession, frequency: float, frames: int = 40) -> bool:
    """Whether `frequency` shows up in the next `frames` frames the session receives."""
    tap = session.tap()
    for _ in range(frames):
        if detect_tone(await asyncio.wait_for(tap.read(), 2.0), frequency):
            return True
    return False


async def test_given_two_endpoints_when_each_sends_a_tone_then_each_detects_the_others(pair):
    a, b = pair
    playing = [
        asyncio.create_task(a.play(tone(1000.0, 1.0))),
        asyncio.create_task(b.play(tone(1500.0, 1.0))),
    ]
    assert await heard(b, 1000.0)
    assert await heard(a, 1500.0)
    await asyncio.gather(*playing)


async def test_given_wrong_remote_in_sdp_when_media_arrives_then_symmetric_rtp_latches(allocator):
    a, b = await endpoint(allocator), await endpoint(allocator)
    a.set_remote(("127.0.0.1", b.local_port))
    b.set_remote(("127.0.0.1", 9))  # what a NATed peer's SDP might say
    sa, sb = MediaSession(a), MediaSession(b)
    sa.start(), sb.start()
    try:
        hello = asyncio.create_task(sa.play(tone(700.0, 0.5)))
        assert await heard(sb, 700.0)
        assert b.remote == ("127.0.0.1", a.local_port)
        reply = asyncio.create_task(sb.play(tone(1200.0, 0.5)))
        assert await heard(sa, 1200.0)
        await asyncio.gather(hello, reply)
    finally:
        await sa.stop(), await sb.stop()
        a.close(), b.close()


async def test_given_latched_endpoint_when_stranger_sends_then_ignored(allocator):
    a, b = await endpoint(allocator), await endpoint(allocator)
    connect(a, b)
    got: list[RtpPacket] = []
    b.on_packet = got.append
    a.send_frame(bytes(320))
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        await asyncio.sleep(0.05)
        stranger.sendto(bytes(RtpPacket(0, 1, 1, 99, b"\xff" * 160)), ("127.0.0.1", b.local_port))
        stranger.sendto(b"garbage", ("127.0.0.1", b.local_port))
        await asyncio.sleep(0.05)
        assert [p.ssrc for p in got] == [a.ssrc]
    finally:
        stranger.close()
        a.close(), b.close()


async def bridged(allocator, caller_codec: str, agent_codec: str):
    caller, leg_a = await endpoint(allocator, caller_codec), await endpoint(allocator, caller_codec)
    leg_b, agent = (
        await endpoint(allocator, agent_codec, 96),
        await endpoint(allocator, agent_codec, 96),
    )
    connect(caller, leg_a)
    connect(leg_b, agent)
    return caller, leg_a, leg_b, agent, RelayBridge(leg_a, leg_b)


async def test_given_bridge_with_same_codec_when_caller_sends_then_payload_arrives_untouched(
    allocator,
):
    caller, leg_a, leg_b, agent, _ = await bridged(allocator, "PCMU", "PCMU")
    got: list[RtpPacket] = []
    agent.on_packet = got.append
    frames = [PcmuCodec().encode(f) for f in frames_of(tone(900.0, 0.1))]
    for i, payload in enumerate(frames):
        caller.send_payload(payload, marker=i == 0)
    await asyncio.sleep(0.1)
    assert [p.payload for p in got] == frames
    assert {p.ssrc for p in got} == {leg_b.ssrc}
    assert [(p.sequence_number - got[0].sequence_number) % 65536 for p in got] == list(range(5))
    for e in (caller, leg_a, leg_b, agent):
        e.close()


async def test_given_bridge_between_pcmu_and_pcma_when_tones_sent_both_ways_then_both_heard(
    allocator,
):
    caller, leg_a, leg_b, agent, _ = await bridged(allocator, "PCMU", "PCMA")
    s_caller, s_agent = MediaSession(caller), MediaSession(agent)
    s_caller.start(), s_agent.start()
    try:
        playing = [
            asyncio.create_task(s_caller.play(tone(1000.0, 1.0))),
            asyncio.create_task(s_agent.play(tone(1500.0, 1.0))),
        ]
        assert await heard(s_agent, 1000.0)
        assert await heard(s_caller, 1500.0)
        await asyncio.gather(*playing)
    finally:
        await s_caller.stop(), await s_agent.stop()
        for e in (caller, leg_a, leg_b, agent):
            e.close()


async def test_given_bridge_when_caller_presses_key_then_agent_gets_it_on_its_own_payload_type(
    allocator,
):
    caller, leg_a, leg_b, agent, bridge = await bridged(allocator, "PCMA", "PCMA")
    s_caller, s_agent = MediaSession(caller), MediaSession(agent)
    s_caller.start(), s_agent.start()
    try:
        s_caller.send_digit("7")
        result = await s_agent.collect_digits(CollectSpec(max_digits=1, first_digit_timeout_s=3))
        assert result.digits == "7"
        bridge.unbridge()
        assert leg_a.on_packet is None
    finally:
        await s_caller.stop(), await s_agent.stop()
        for e in (caller, leg_a, leg_b, agent):
            e.close()


async def test_given_keys_and_terminator_when_collected_then_digits_in_order(pair):
    a, b = pair
    for key in "42#":
        a.send_digit(key)
    result = await b.collect_digits(CollectSpec(max_digits=5, first_digit_timeout_s=3))
    assert (result.digits, result.reason) == ("42", "terminator")


async def test_given_no_keys_when_collecting_then_first_digit_timeout(pair):
    _, b = pair
    result = await b.collect_digits(CollectSpec(max_digits=3, first_digit_timeout_s=0.2))
    assert result.reason == "first_digit_timeout"


async def test_given_media_flowing_when_reports_sent_then_peer_receives_sr_with_a_block(pair):
    a, b = pair
    await a.play(tone(800.0, 0.3))
    await asyncio.sleep(0.05)
    a.endpoint.send_report(wall_clock_s=1_700_000_000.0)
    await asyncio.sleep(0.05)
    b.endpoint.send_report(wall_clock_s=1_700_000_000.5)
    await asyncio.sleep(0.05)
    (sr,) = [p for p in b.endpoint.reports_received if isinstance(p, SenderReport)]
    assert sr.ssrc == a.endpoint.ssrc
    assert sr.packet_count >= 10
    (rr,) = [p for p in a.endpoint.reports_received if isinstance(p, ReceiverReport)]
    assert rr.reports[0].ssrc == a.endpoint.ssrc
    assert rr.reports[0].cumulative_lost == 0
    assert rr.reports[0].last_sr == (sr.ntp_timestamp >> 16) & 0xFFFFFFFF
    assert 0 < rr.reports[0].delay_since_last_sr < 65536  # under a second, in 1/65536 s


async def test_given_rtcp_schedule_on_the_allocator_when_legs_open_then_reports_flow_unasked():
    schedule = RtcpSchedule(RealClock(), interval_s=1.0)
    base = 43000 + 40 * (next(_ranges) % 50)
    allocator = PortAllocator("127.0.0.1", PortRange(base, base + 39), on_open=schedule.add)
    a, b = await endpoint(allocator), await endpoint(allocator)
    connect(a, b)
    session = MediaSession(a)
    session.start()
    try:
        await session.play(tone(800.0, 0.2))
        await asyncio.sleep(2.5)
    finally:
        await session.stop()
        schedule.stop()
        a.close()
        b.close()
    assert any(isinstance(p, SenderReport) and p.ssrc == a.ssrc for p in b.reports_received)
    rrs = [p for p in a.reports_received if isinstance(p, ReceiverReport)]
    assert rrs
    assert rrs[-1].reports[0].ssrc == a.ssrc


async def test_given_recorder_on_a_leg_when_tone_arrives_then_wav_holds_it(pair, tmp_path):
    a, b = pair
    path = tmp_path / "call.wav"
    with WavRecorder(path) as recorder:
        b.readers.append(recorder.write)
        await a.play(tone(600.0, 0.5))
        await asyncio.sleep(0.1)
    with wave.open(str(path), "rb") as w:
        pcm = w.readframes(w.getnframes())
    assert len(pcm) >= 0.4 * 16000
    assert detect_tone(pcm[1600:4800], 600.0)


async def test_given_music_on_hold_with_announcements_when_playing_then_both_are_heard(pair):
    a, b = pair
    moh = asyncio.create_task(
        a.music_on_hold(tone(440.0, 0.1), lambda: tone(1800.0, 0.2), every_s=0.3)
    )
    try:
        assert await heard(b, 440.0)
        assert await heard(b, 1800.0)
    finally:
        moh.cancel()


async def test_given_tap_write_when_nothing_else_plays_then_peer_hears_it(pair):
    a, b = pair
    a.tap().write(tone(1300.0, 0.6))
    assert await heard(b, 1300.0)


async def test_given_small_range_when_exhausted_then_ports_exhausted_and_taken_port_skipped():
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 45000))
    allocator = PortAllocator("127.0.0.1", PortRange(45000, 45005))
    opened = []
    try:
        opened.append(await endpoint(allocator))
        opened.append(await endpoint(allocator))
        assert sorted(e.local_port for e in opened) == [45002, 45004]
        with pytest.raises(PortsExhausted, match="45000-45005"):
            await endpoint(allocator)
    finally:
        taken.close()
        for e in opened:
            e.close()


def test_given_bad_port_range_when_built_then_value_error():
    with pytest.raises(ValueError, match="port range"):
        PortRange(80, 100)


def test_given_codecs_when_mixed_in_bridge_then_factory_gives_distinct_laws():
    assert type(get_codec("PCMU")) is PcmuCodec
    assert type(get_codec("PCMA")) is PcmaCodec
