"""SDP parse and build (RFC 8866): fields, attributes, round trips, bad input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.media.sdp import (
    Connection,
    MediaDescription,
    Origin,
    RtpMap,
    SdpParseError,
    SessionDescription,
)

pytestmark = pytest.mark.unit

OFFER = (
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
    "s=Talk\r\n"
    "i=A call\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "b=AS:64\r\n"
    "t=0 0\r\n"
    "a=tool:softphone\r\n"
    "m=audio 49170 RTP/AVP 8 0 3 96\r\n"
    "a=rtpmap:3 GSM/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "m=video 51372 RTP/AVP 31\r\n"
    "c=IN IP4 198.51.100.8\r\n"
    "a=rtpmap:31 H261/90000\r\n"
)


def test_given_offer_when_parsed_then_session_fields_are_read():
    sd = SessionDescription.parse(OFFER)
    assert sd.origin == Origin("alice", "2890844526", 2890844526, "198.51.100.7")
    assert sd.session_name == "Talk"
    assert sd.connection == Connection("198.51.100.7")
    assert sd.timing == "0 0"
    assert sd.attributes == (("tool", "softphone"),)
    assert sd.other_lines == (("i", "A call"), ("b", "AS:64"))


def test_given_offer_when_parsed_then_audio_rtpmaps_include_static_types():
    audio = SessionDescription.parse(OFFER).media[0]
    assert audio.port == 49170
    assert audio.payload_types() == [8, 0, 3, 96]
    maps = audio.rtpmaps()
    assert list(maps) == [8, 0, 3, 96]
    assert maps[8] == RtpMap(8, "PCMA", 8000)
    assert maps[96] == RtpMap(96, "telephone-event", 8000)
    assert audio.fmtp(96) == "0-15"
    assert audio.fmtp(8) is None
    assert audio.ptime == 20
    assert audio.direction == "sendrecv"


def test_given_media_with_own_connection_when_asked_then_it_overrides_the_session():
    sd = SessionDescription.parse(OFFER)
    assert sd.connection_for(sd.media[1]) == Connection("198.51.100.8")
    assert sd.connection_for(sd.media[0]) == Connection("198.51.100.7")


def test_given_offer_when_built_again_then_text_is_identical():
    assert str(SessionDescription.parse(OFFER)) == OFFER


def test_given_lf_line_endings_and_blank_lines_when_parsed_then_same_as_crlf():
    assert SessionDescription.parse(
        OFFER.replace("\r\n", "\n") + "\n\n"
    ) == SessionDescription.parse(OFFER)


def test_given_no_direction_when_asked_then_session_level_or_sendrecv_applies():
    text = OFFER.replace("a=sendrecv\r\n", "").replace("a=tool:softphone", "a=recvonly")
    sd = SessionDescription.parse(text)
    assert sd.media[0].direction is None
    assert sd.direction_of(sd.media[0]) == "recvonly"
    bare = SessionDescription.parse(OFFER.replace("a=sendrecv\r\n", ""))
    assert bare.direction_of(bare.media[0]) == "sendrecv"


def test_given_stream_when_direction_replaced_then_only_one_direction_attribute():
    audio = SessionDescription.parse(OFFER).media[0].with_direction("sendonly")
    assert [n for n, _ in audio.attributes if n.endswith(("only", "recv", "active"))] == [
        "sendonly"
    ]


def test_given_port_count_and_channels_when_round_tripped_then_kept():
    text = (
        "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\n"
        "m=audio 5000/2 RTP/AVP 97\r\na=rtpmap:97 L16/8000/2\r\n"
    )
    sd = SessionDescription.parse(text)
    assert sd.media[0].port_count == 2
    assert sd.media[0].rtpmaps()[97].channels == 2
    assert str(sd) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "v=0"),
        ("v=1\r\n", "v=0"),
        ("v=0\r\ns=x\r\n", "no o= line"),
        ("v=0\r\no=a b c IN IP4 h\r\n", "bad o= line"),
        ("v=0\r\no=a 1 2 IN IP4\r\n", "bad o= line"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nc=IN IP4\r\n", "bad c= line"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nno equals sign\r\n", "bad SDP line"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nxy=1\r\n", "bad SDP line"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\no=a 1 2 IN IP4 h\r\n", "duplicate"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nm=audio\r\n", "bad m= line"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nm=audio 70000 RTP/AVP 0\r\n", "bad port"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nm=audio ²0 RTP/AVP 0\r\n", "bad port"),
        ("v=0\r\no=a 1 2 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 a\r\nc=IN IP4 b\r\n", "dup"),
    ],
)
def test_given_malformed_sdp_when_parsed_then_error_says_why(text, reason):
    with pytest.raises(SdpParseError, match=reason):
        SessionDescription.parse(text)


def test_given_bad_rtpmap_when_read_then_sdp_parse_error():
    media = MediaDescription("audio", 1, "RTP/AVP", ("96",), attributes=(("rtpmap", "96 x"),))
    with pytest.raises(SdpParseError, match="bad rtpmap"):
        media.rtpmaps()


def test_given_bad_ptime_when_read_then_none():
    media = MediaDescription("audio", 1, "RTP/AVP", ("0",), attributes=(("ptime", "abc"),))
    assert media.ptime is None


@given(st.text(max_size=200))
def test_given_any_text_when_parsed_then_only_sdp_parse_error(text):
    with contextlib.suppress(SdpParseError):
        SessionDescription.parse(text)
