"""The endpoint's packet handling with fake transports: symmetric latch, relay rewriting,
DTMF payload type mapping, transcoding, and reports."""

from __future__ import annotations

import pytest

from telephony.media.codecs import PcmaCodec, PcmuCodec
from telephony.media.dtmf import TelephoneEvent
from telephony.media.media_session import frames_of
from telephony.media.rtcp import ReceiverReport, SenderReport, SourceDescription, parse_compound
from telephony.media.rtp_endpoint import PortRange, RtpEndpoint
from telephony.media.rtp_packet import RtpPacket
from telephony.media.tones import detect_tone, tone

pytestmark = pytest.mark.unit
PEER = ("192.0.2.5", 30000)


class FakeTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.closed = False

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))

    def close(self) -> None:
        self.closed = True

    def packets(self) -> list[RtpPacket]:
        return [RtpPacket.parse(d) for d, _ in self.sent]


def leg(
    codec=None, pt=0, dtmf: int | None = 101
) -> tuple[RtpEndpoint, FakeTransport, FakeTransport]:
    endpoint = RtpEndpoint(codec or PcmuCodec(), pt, dtmf)
    rtp, rtcp = FakeTransport(), FakeTransport()
    endpoint.attach(rtp, rtcp, 40000)
    endpoint.set_remote(PEER)
    return endpoint, rtp, rtcp


def incoming(seq: int, ts: int, ssrc: int = 77, pt: int = 0, payload: bytes = b"\xff" * 160):
    return RtpPacket(pt, seq % 65536, ts % 2**32, ssrc, payload)


async def test_given_sdp_remote_when_first_packet_comes_from_elsewhere_then_we_latch_to_it():
    endpoint, rtp, _ = leg()
    endpoint.rtp_received(bytes(incoming(1, 0)), ("198.51.100.9", 5555))
    endpoint.send_frame(bytes(320))
    assert rtp.sent[-1][1] == ("198.51.100.9", 5555)
    endpoint.rtp_received(bytes(incoming(2, 160, ssrc=5)), ("203.0.113.1", 1))
    assert endpoint.remote == ("198.51.100.9", 5555)
    endpoint.set_remote(("203.0.113.1", 1))
    assert endpoint.latched is False


async def test_given_own_frames_when_sent_then_seq_and_timestamp_advance_per_frame():
    endpoint, rtp, _ = leg()
    for pcm in frames_of(tone(500.0, 0.06)):
        endpoint.send_frame(pcm)
    packets = rtp.packets()
    assert [(p.sequence_number - packets[0].sequence_number) % 65536 for p in packets] == [0, 1, 2]
    assert [(p.timestamp - packets[0].timestamp) % 2**32 for p in packets] == [0, 160, 320]
    assert (endpoint.sent_packets, endpoint.sent_octets) == (3, 480)


async def test_given_relay_when_source_changes_ssrc_then_our_numbering_stays_continuous():
    source, _, _ = leg()
    target, rtp, _ = leg()
    target.send_frame(bytes(320))
    for seq in range(10, 13):
        target.relay(incoming(seq, seq * 160), source)
    for seq in range(500, 502):
        target.relay(incoming(seq, 99_999 + seq * 160, ssrc=78), source)
    packets = rtp.packets()
    seqs = [(p.sequence_number - packets[0].sequence_number) % 65536 for p in packets]
    stamps = [(p.timestamp - packets[0].timestamp) % 2**32 for p in packets]
    assert seqs == [0, 1, 2, 3, 4, 5]
    assert stamps == [0, 160, 320, 480, 640, 800]
    assert {p.ssrc for p in packets} == {target.ssrc}


async def test_given_relay_when_source_skips_a_sequence_number_then_the_gap_is_kept():
    source, _, _ = leg()
    target, rtp, _ = leg()
    target.relay(incoming(1, 0), source)
    target.relay(incoming(3, 320), source)
    first, second = rtp.packets()
    assert (second.sequence_number - first.sequence_number) % 65536 == 2


async def test_given_different_codecs_when_relayed_then_transcoded_and_target_pt_used():
    source, _, _ = leg(PcmuCodec(), 0)
    target, rtp, _ = leg(PcmaCodec(), 8)
    payload = PcmuCodec().encode(tone(1000.0, 0.02))
    target.relay(incoming(1, 0, payload=payload), source)
    (packet,) = rtp.packets()
    assert packet.payload_type == 8
    assert detect_tone(PcmaCodec().decode(packet.payload), 1000.0)


async def test_given_dtmf_when_relayed_then_mapped_to_target_pt_or_dropped_without_one():
    source, _, _ = leg(dtmf=101)
    target, rtp, _ = leg(dtmf=96)
    mute, mute_rtp, _ = leg(dtmf=None)
    event = bytes(TelephoneEvent(5, False, 10, 160))
    target.relay(incoming(1, 0, pt=101, payload=event), source)
    mute.relay(incoming(1, 0, pt=101, payload=event), source)
    mute.relay(incoming(2, 0, pt=13, payload=b"\x40"), source)  # comfort noise: not agreed
    (packet,) = rtp.packets()
    assert (packet.payload_type, packet.payload) == (96, event)
    assert mute_rtp.sent == []


async def test_given_received_digit_packets_when_fed_then_on_digit_called_once():
    endpoint, _, _ = leg()
    digits: list[str] = []
    endpoint.on_digit = digits.append
    for seq, end in [(1, False), (2, True), (3, True), (4, True)]:
        payload = bytes(TelephoneEvent(11, end, 10, 160 * seq))
        endpoint.rtp_received(bytes(incoming(seq, 8000, pt=101, payload=payload)), PEER)
    assert digits == ["#"]


async def test_given_media_sent_and_received_when_reporting_then_sr_with_block_and_cname():
    endpoint, _, rtcp = leg()
    for seq in range(5):
        endpoint.rtp_received(bytes(incoming(seq, seq * 160)), PEER)
    endpoint.send_frame(bytes(320))
    endpoint.send_report(wall_clock_s=1_700_000_000.0)
    data, addr = rtcp.sent[-1]
    assert addr == (PEER[0], PEER[1] + 1)
    sr, sdes = parse_compound(data)
    assert isinstance(sr, SenderReport)
    assert sr.reports[0].ssrc == 77
    assert isinstance(sdes, SourceDescription)
    assert sdes.chunks[0].cname == endpoint.cname


async def test_given_nothing_sent_when_reporting_then_receiver_report():
    endpoint, _, rtcp = leg()
    endpoint.send_report(wall_clock_s=0.0)
    assert isinstance(parse_compound(rtcp.sent[-1][0])[0], ReceiverReport)
    endpoint.close()
    assert rtcp.closed


def test_given_port_range_when_iterated_then_even_ports_wrapping_from_the_cursor():
    ports = PortRange(10001, 10010)
    assert list(ports.pairs_from(10001)) == [10002, 10004, 10006, 10008]
    assert list(ports.pairs_from(10006)) == [10006, 10008, 10002, 10004]


def test_given_pcm_not_a_whole_frame_when_cut_then_last_frame_padded():
    frames = frames_of(b"\x01\x00" * 170)
    assert [len(f) for f in frames] == [320, 320]
    assert frames[1][20:] == bytes(300)
