"""RFC 4733 telephone events: payload, sender packet sequence, receiver digits once each."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.media.dtmf import (
    DtmfParseError,
    DtmfReceiver,
    DtmfSender,
    TelephoneEvent,
    event_code,
)
from telephony.media.rtp_packet import RtpPacket

pytestmark = pytest.mark.unit
DATA = Path(__file__).parents[1] / "data" / "media"


def captured() -> list[RtpPacket]:
    return [RtpPacket.parse((DATA / f"dtmf_1_{i:02d}.rtp").read_bytes()) for i in range(10)]


def test_given_captured_key_1_when_parsed_then_start_updates_and_three_ends():
    packets = captured()
    events = [TelephoneEvent.parse(p.payload) for p in packets]
    assert packets[0].marker
    assert not any(p.marker for p in packets[1:])
    assert {p.timestamp for p in packets} == {packets[0].timestamp}
    assert all(e.digit == "1" and e.volume == 10 for e in events)
    assert [e.end for e in events] == [False] * 7 + [True] * 3
    assert events[-1].duration == 0x08C0
    assert all(bytes(e) == p.payload[:4] for e, p in zip(events, packets, strict=True))


def test_given_captured_stream_when_received_then_one_digit():
    receiver = DtmfReceiver(payload_type=101)
    assert [d for p in captured() if (d := receiver.feed(p))] == ["1"]


def test_given_captured_stream_without_start_packets_when_received_then_digit_still_once():
    receiver = DtmfReceiver(payload_type=101)
    assert [d for p in captured()[3:] if (d := receiver.feed(p))] == ["1"]


def test_given_only_an_end_packet_when_received_then_digit_reported():
    receiver = DtmfReceiver(payload_type=101)
    assert receiver.feed(captured()[-1]) == "1"


@pytest.mark.parametrize("digit", list("0123456789*#ABCD"))
def test_given_each_key_when_sent_and_received_then_same_key_once(digit):
    sender = DtmfSender(payload_type=96, ssrc=5)
    receiver = DtmfReceiver(payload_type=96)
    packets = sender.packets(digit, timestamp=1000, first_sequence=65534)
    assert [d for p in packets if (d := receiver.feed(p))] == [digit]


def test_given_key_when_sent_then_marker_first_updates_grow_and_three_ends_share_timestamp():
    packets = DtmfSender(101, 7).packets("5", timestamp=4242, first_sequence=65535, duration=800)
    events = [TelephoneEvent.parse(p.payload) for p in packets]
    assert [p.marker for p in packets] == [True] + [False] * (len(packets) - 1)
    assert {p.timestamp for p in packets} == {4242}
    assert [p.sequence_number for p in packets][:3] == [65535, 0, 1]
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3


def test_given_repeated_key_when_sent_twice_then_received_twice():
    sender, receiver = DtmfSender(101, 7), DtmfReceiver(101)
    stream = sender.packets("7", timestamp=0, first_sequence=0)
    stream += sender.packets("7", timestamp=8000, first_sequence=len(stream))
    assert [d for p in stream if (d := receiver.feed(p))] == ["7", "7"]


def test_given_late_end_retransmission_after_next_key_when_received_then_not_reported_again():
    sender, receiver = DtmfSender(101, 7), DtmfReceiver(101)
    first = sender.packets("1", timestamp=0, first_sequence=0)
    second = sender.packets("2", timestamp=8000, first_sequence=100)
    stream = first[:-1] + second[:2] + [first[-1]] + second[2:]
    assert [d for p in stream if (d := receiver.feed(p))] == ["1", "2"]


def test_given_long_event_split_into_segments_when_received_then_one_digit():
    receiver = DtmfReceiver(101)
    segment_one = [RtpPacket(101, 1, 0, 7, bytes(TelephoneEvent(3, False, 10, 65535)), True)]
    segment_two = [RtpPacket(101, 2, 65535, 7, bytes(TelephoneEvent(3, True, 10, 800)))]
    assert [d for p in segment_one + segment_two if (d := receiver.feed(p))] == ["3"]


def test_given_audio_packet_or_bad_payload_when_received_then_ignored():
    receiver = DtmfReceiver(101)
    assert receiver.feed(RtpPacket(0, 1, 0, 7, b"\xff" * 160)) is None
    assert receiver.feed(RtpPacket(101, 1, 0, 7, b"\x01")) is None


def test_given_non_dtmf_event_when_received_then_no_digit():
    receiver = DtmfReceiver(101)
    assert receiver.feed(RtpPacket(101, 1, 0, 7, bytes(TelephoneEvent(16)), True)) is None


@given(st.binary(max_size=8))
def test_given_garbage_payload_when_parsed_then_only_dtmf_parse_error(data):
    try:
        event = TelephoneEvent.parse(data)
    except DtmfParseError:
        return
    assert 0 <= event.volume <= 63


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 65535))
def test_given_any_event_when_built_then_parses_back(code, end, volume, duration):
    event = TelephoneEvent(code, end, volume, duration)
    assert TelephoneEvent.parse(bytes(event)) == event


@pytest.mark.parametrize("bad", ["E", "11", "", "x"])
def test_given_non_key_when_coded_then_value_error(bad):
    with pytest.raises(ValueError, match="not a DTMF key"):
        event_code(bad)


@pytest.mark.parametrize("duration", [0, 70000])
def test_given_bad_duration_when_sending_then_value_error(duration):
    with pytest.raises(ValueError, match="duration"):
        DtmfSender(101, 1).packets("1", timestamp=0, first_sequence=0, duration=duration)
