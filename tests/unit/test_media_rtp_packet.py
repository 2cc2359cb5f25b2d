"""RTP packets (RFC 3550 §5.1): captured packets round-trip, built packets parse back, garbage
raises RtpParseError and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.media.rtp_packet import RtpExtension, RtpPacket, RtpParseError

pytestmark = pytest.mark.unit
DATA = Path(__file__).parents[1] / "data" / "media"


def packets_strategy() -> st.SearchStrategy[RtpPacket]:
    words = st.integers(0, 20).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))
    extension = st.none() | st.builds(RtpExtension, st.integers(0, 0xFFFF), words)
    return st.builds(
        RtpPacket,
        payload_type=st.integers(0, 127),
        sequence_number=st.integers(0, 0xFFFF),
        timestamp=st.integers(0, 0xFFFFFFFF),
        ssrc=st.integers(0, 0xFFFFFFFF),
        payload=st.binary(max_size=400),
        marker=st.booleans(),
        csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15).map(tuple),
        extension=extension,
        padding=st.integers(0, 255),
    )


@pytest.mark.parametrize("name", ["pcma_0.rtp", "pcma_1.rtp", "pcma_2.rtp"])
def test_given_captured_pcma_packet_when_parsed_and_built_then_bytes_are_identical(name):
    data = (DATA / name).read_bytes()
    packet = RtpPacket.parse(data)
    assert packet.payload_type == 8
    assert len(packet.payload) == 240  # this capture uses 30 ms packets
    assert bytes(packet) == data


def test_given_first_captured_packet_when_parsed_then_header_fields_match_the_capture():
    packet = RtpPacket.parse((DATA / "pcma_0.rtp").read_bytes())
    assert packet.marker is True
    assert packet.sequence_number == 0xE6FD
    assert packet.timestamp == 240
    assert packet.ssrc == 0xDEE0EE8F
    assert packet.csrc == ()
    assert packet.extension is None


def test_given_packet_with_csrc_extension_and_padding_when_built_then_parses_back_equal():
    packet = RtpPacket(
        payload_type=0,
        sequence_number=65535,
        timestamp=0xFFFFFFFF,
        ssrc=1,
        payload=b"\xff" * 160,
        marker=True,
        csrc=(7, 8, 9),
        extension=RtpExtension(0xBEDE, b"\x10\xaa\x00\x00"),
        padding=4,
    )
    data = bytes(packet)
    assert data[0] == 0x80 | 0x20 | 0x10 | 3
    assert data[-1] == 4
    assert RtpPacket.parse(data) == packet


@given(packets_strategy())
def test_given_any_valid_packet_when_built_then_parse_returns_it(packet):
    assert RtpPacket.parse(bytes(packet)) == packet


@given(packets_strategy())
def test_given_any_built_packet_when_reparsed_then_bytes_round_trip(packet):
    data = bytes(packet)
    assert bytes(RtpPacket.parse(data)) == data


@given(st.binary(max_size=100))
def test_given_garbage_when_parsed_then_only_rtp_parse_error_is_raised(data):
    try:
        packet = RtpPacket.parse(data)
    except RtpParseError:
        return
    assert len(bytes(packet)) == len(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"\x80\x00" + bytes(9), "too short"),
        (b"\x40\x00" + bytes(10), "version"),
        (b"\x8f\x00" + bytes(10), "CSRC"),
        (b"\x90\x00" + bytes(10), "extension"),
        (b"\x90\x00" + bytes(10) + b"\x00\x00\x00\x05", "extension data"),
        (b"\xa0\x00" + bytes(10) + b"\x00", "padding"),
        (b"\xa0\x00" + bytes(10) + b"\x20", "padding"),
    ],
)
def test_given_malformed_header_when_parsed_then_error_names_the_problem(data, reason):
    with pytest.raises(RtpParseError, match=reason):
        RtpPacket.parse(data)


@pytest.mark.parametrize(
    "fields",
    [
        {"payload_type": 128},
        {"sequence_number": 65536},
        {"timestamp": -1},
        {"ssrc": 1 << 32},
        {"padding": 256},
        {"csrc": tuple(range(16))},
    ],
)
def test_given_out_of_range_field_when_constructed_then_value_error(fields):
    base = {"payload_type": 0, "sequence_number": 0, "timestamp": 0, "ssrc": 0}
    with pytest.raises(ValueError, match=r"range|CSRC"):
        RtpPacket(**{**base, **fields})


def test_given_extension_data_not_whole_words_when_constructed_then_value_error():
    with pytest.raises(ValueError, match="32-bit words"):
        RtpExtension(1, b"abc")
