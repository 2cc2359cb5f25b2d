"""RTCP packets (RFC 3550 §6): byte layouts checked against hand-assembled packets, round trips,
compound packets, and garbage raising RtcpParseError only."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.media.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpParseError,
    RtcpUnknown,
    SenderReport,
    SourceDescription,
    build_compound,
    ntp_middle,
    ntp_timestamp,
    parse_compound,
)

pytestmark = pytest.mark.unit

RR_BYTES = bytes.fromhex(
    "81c90007 11223344 55667788 40000005 00010010 00000020 aabbccdd 00010000".replace(" ", "")
)
SDES_BYTES = bytes.fromhex("81ca0003 11223344 01026162 00000000".replace(" ", ""))
BYE_BYTES = bytes.fromhex("81cb0002 11223344 03627965".replace(" ", ""))
BLOCK = ReportBlock(0x55667788, 0x40, 5, 0x00010010, 0x20, 0xAABBCCDD, 0x00010000)


def test_given_receiver_report_when_built_then_bytes_follow_rfc3550_6_4_2():
    assert bytes(ReceiverReport(0x11223344, (BLOCK,))) == RR_BYTES


def test_given_rr_bytes_when_parsed_then_block_fields_are_read():
    (packet,) = parse_compound(RR_BYTES)
    assert packet == ReceiverReport(0x11223344, (BLOCK,))


def test_given_sdes_cname_when_built_then_chunk_is_null_terminated_and_padded():
    sdes = SourceDescription.cname(0x11223344, "ab")
    assert bytes(sdes) == SDES_BYTES
    (parsed,) = parse_compound(SDES_BYTES)
    assert isinstance(parsed, SourceDescription)
    assert parsed.chunks[0].cname == "ab"


def test_given_bye_with_reason_when_built_then_round_trips():
    assert bytes(Bye((0x11223344,), "bye")) == BYE_BYTES
    assert parse_compound(BYE_BYTES) == [Bye((0x11223344,), "bye")]


def test_given_sender_report_when_built_then_parses_back_with_its_ntp_time():
    ntp = ntp_timestamp(1_700_000_000.25)
    sr = SenderReport(1, ntp, 160_000, 1000, 160_000, (BLOCK,))
    data = bytes(sr)
    assert data[:4] == bytes.fromhex("81c8000c")
    assert parse_compound(data) == [sr]
    assert ntp >> 32 == 1_700_000_000 + 2_208_988_800
    assert ntp & 0xFFFFFFFF == 1 << 30
    assert ntp_middle(ntp) == ((ntp >> 16) & 0xFFFFFFFF)


def test_given_negative_cumulative_loss_when_built_then_encoded_as_24_bit_twos_complement():
    block = ReportBlock(1, 0, -1, 0, 0)
    assert bytes(block)[4:8] == b"\x00\xff\xff\xff"
    assert ReportBlock.parse(bytes(block)).cumulative_lost == -1


def test_given_huge_cumulative_loss_when_built_then_clamped_to_24_bits():
    assert ReportBlock.parse(bytes(ReportBlock(1, 0, 1 << 30, 0, 0))).cumulative_lost == 0x7FFFFF


def test_given_compound_rr_sdes_bye_when_parsed_then_three_packets_in_order():
    packets = [ReceiverReport(0x11223344, (BLOCK,)), SourceDescription.cname(7, "x@h"), Bye((7,))]
    assert parse_compound(build_compound(packets)) == packets


def test_given_unknown_packet_type_when_parsed_then_kept_raw_and_rebuilt_identically():
    app = bytes.fromhex("80cc0002 00000001 6e616d65".replace(" ", ""))
    (packet,) = parse_compound(RR_BYTES + app)[1:]
    assert packet == RtcpUnknown(204, 0, bytes.fromhex("000000016e616d65"))
    assert bytes(packet) == app


def test_given_padded_last_packet_when_parsed_then_padding_is_ignored():
    padded = bytes.fromhex("a1cb0002 11223344 00000004".replace(" ", ""))
    assert parse_compound(padded) == [Bye((0x11223344,))]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"\x41\xc9\x00\x00", "version"),
        (b"\x81\xc9\x00\x07" + bytes(8), "past the end"),
        (b"\x81\xc9\x00\x01" + bytes(4), "RR too short"),
        (b"\x81\xc8\x00\x01" + bytes(4), "SR too short"),
        (b"\x82\xcb\x00\x01" + bytes(4), "BYE too short"),
        (b"\xa1\xcb\x00\x01" + bytes(4), "padding"),
        (b"\x81\xca\x00\x01" + b"\x00\x00\x00\x01", "SDES"),
        (b"\x80\xcc\x00\x00\x00", "truncated"),
    ],
)
def test_given_malformed_rtcp_when_parsed_then_error_says_why(data, reason):
    with pytest.raises(RtcpParseError, match=reason):
        parse_compound(data)


@given(st.binary(max_size=120))
def test_given_garbage_when_parsed_then_only_rtcp_parse_error(data):
    with contextlib.suppress(RtcpParseError):
        parse_compound(data)


blocks = st.builds(
    ReportBlock,
    st.integers(0, 2**32 - 1),
    st.integers(0, 255),
    st.integers(-(2**23), 2**23 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
)
text = st.text(st.characters(codec="utf-8"), max_size=40).filter(lambda s: len(s.encode()) < 200)


@given(
    st.lists(blocks, max_size=31).map(tuple),
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=31).map(tuple),
    text,
)
def test_given_any_report_and_bye_when_built_then_compound_parses_back(
    reports, ssrc, sources, reason
):
    packets = [
        ReceiverReport(ssrc, reports),
        SourceDescription.cname(ssrc, "a@b"),
        Bye(sources, reason),
    ]
    assert parse_compound(build_compound(packets)) == packets
