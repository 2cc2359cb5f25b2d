"""RFC 3264 offer/answer for G.711 + telephone-event: answers, directions, hold, re-offers."""

from __future__ import annotations

import pytest

from telephony.media.offer_answer import (
    LocalMedia,
    NegotiatedAudio,
    OfferAnswerError,
    SdpSession,
    accept_answer,
    answer_offer,
    remote_hold,
)
from telephony.media.sdp import SessionDescription

pytestmark = pytest.mark.unit

LOCAL = LocalMedia(address="192.0.2.10", port=40000)


def offer_text(formats="8 0 3 96", direction="sendrecv", address="198.51.100.7", extra=""):
    return (
        "v=0\r\no=alice 1 1 IN IP4 198.51.100.7\r\ns=-\r\n"
        f"c=IN IP4 {address}\r\nt=0 0\r\n"
        f"m=audio 49170 RTP/AVP {formats}\r\n"
        "a=rtpmap:3 GSM/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"
        f"a={direction}\r\n{extra}"
    )


def answer(text: str, local: LocalMedia = LOCAL):
    return answer_offer(SessionDescription.parse(text), local, SdpSession("192.0.2.10", "77"))


def test_given_offer_preferring_pcma_when_answered_then_pcma_and_offers_dtmf_pt_are_used():
    sdp, agreed = answer(offer_text())
    assert agreed == NegotiatedAudio("198.51.100.7", 49170, "PCMA", 8, 96, "sendrecv", None)
    (audio,) = sdp.media
    assert audio.formats == ("8", "96")
    assert audio.port == 40000
    assert audio.fmtp(96) == "0-16"
    assert audio.direction == "sendrecv"
    assert sdp.connection is not None
    assert sdp.connection.address == "192.0.2.10"


def test_given_offer_with_dynamic_pcmu_number_when_answered_then_that_number_is_kept():
    text = offer_text("97 101").replace("a=rtpmap:3 GSM/8000", "a=rtpmap:97 PCMU/8000")
    text = text.replace("96", "101")
    sdp, agreed = answer(text)
    assert (agreed.codec, agreed.payload_type, agreed.dtmf_payload_type) == ("PCMU", 97, 101)
    assert sdp.media[0].formats == ("97", "101")


def test_given_offer_without_telephone_event_when_answered_then_no_dtmf_pt():
    _, agreed = answer(offer_text("0 3"))
    assert agreed.dtmf_payload_type is None


def test_given_local_without_dtmf_when_answered_then_telephone_event_left_out():
    sdp, agreed = answer(offer_text(), LocalMedia("192.0.2.10", 40000, dtmf=False))
    assert agreed.dtmf_payload_type is None
    assert sdp.media[0].formats == ("8",)


def test_given_offer_with_only_unsupported_codecs_when_answered_then_offer_answer_error():
    with pytest.raises(OfferAnswerError, match="PCMU or PCMA"):
        answer(offer_text("3 96"))


def test_given_srtp_offer_when_answered_then_refused():
    with pytest.raises(OfferAnswerError):
        answer(offer_text().replace("RTP/AVP", "RTP/SAVP"))


def test_given_video_and_second_audio_when_answered_then_they_are_rejected_with_port_zero():
    extra = "m=video 51372 RTP/AVP 31\r\nm=audio 49180 RTP/AVP 0\r\n"
    sdp, agreed = answer(offer_text(extra=extra))
    assert [m.port for m in sdp.media] == [40000, 0, 0]
    assert sdp.media[1].formats == ("31",)
    assert agreed.remote_port == 49170


@pytest.mark.parametrize(
    ("offered", "answered"),
    [
        ("sendrecv", "sendrecv"),
        ("sendonly", "recvonly"),
        ("recvonly", "sendonly"),
        ("inactive", "inactive"),
    ],
)
def test_given_offer_direction_when_answered_then_answer_mirrors_it(offered, answered):
    sdp, agreed = answer(offer_text(direction=offered))
    assert sdp.media[0].direction == answered
    assert agreed.direction == answered
    assert agreed.on_hold is (answered != "sendrecv")


@pytest.mark.parametrize(
    ("direction", "address", "held"),
    [
        ("sendrecv", "198.51.100.7", False),
        ("recvonly", "198.51.100.7", False),
        ("sendonly", "198.51.100.7", True),
        ("inactive", "198.51.100.7", True),
        ("sendrecv", "0.0.0.0", True),
    ],
)
def test_given_offer_when_checked_for_hold_then_sendonly_inactive_and_null_address_hold(
    direction, address, held
):
    assert (
        remote_hold(SessionDescription.parse(offer_text(direction=direction, address=address)))
        is held
    )


def test_given_legacy_hold_address_when_answered_then_we_only_receive():
    _, agreed = answer(offer_text(address="0.0.0.0"))
    assert agreed.direction == "recvonly"


def test_given_our_offer_when_peer_answers_then_agreed_codec_and_direction():
    session = SdpSession("192.0.2.10", "77")
    offer = session.offer(LOCAL)
    assert offer.media[0].formats == ("0", "8", "101")
    peer = SdpSession("198.51.100.7", "5")
    their_answer, _ = answer_offer(offer, LocalMedia("198.51.100.7", 50000, ("PCMA",)), peer)
    agreed = accept_answer(offer, their_answer)
    assert agreed == NegotiatedAudio("198.51.100.7", 50000, "PCMA", 8, 101, "sendrecv", 20)


def test_given_we_offer_sendonly_hold_when_peer_answers_recvonly_then_we_only_send():
    session = SdpSession("192.0.2.10", "77")
    offer = session.offer(LocalMedia("192.0.2.10", 40000, direction="sendonly"))
    their_answer, theirs = answer_offer(
        offer, LocalMedia("198.51.100.7", 50000), SdpSession("h", "5")
    )
    assert theirs.direction == "recvonly"
    assert accept_answer(offer, their_answer).direction == "sendonly"


def test_given_answer_rejecting_audio_when_accepted_then_error():
    offer = SdpSession("192.0.2.10", "77").offer(LOCAL)
    rejected = SessionDescription.parse(str(offer).replace("m=audio 40000", "m=audio 0"))
    with pytest.raises(OfferAnswerError, match="accepted no audio"):
        accept_answer(offer, rejected)


def test_given_answer_with_wrong_stream_count_when_accepted_then_error():
    offer = SdpSession("192.0.2.10", "77").offer(LOCAL)
    with pytest.raises(OfferAnswerError, match="one m= line"):
        accept_answer(offer, SessionDescription.parse(offer_text(extra="m=video 1 RTP/AVP 31\r\n")))


def test_given_reoffer_when_something_changed_then_version_goes_up_by_one():
    session = SdpSession("192.0.2.10", "77")
    first = session.offer(LOCAL)
    same = session.offer(LOCAL)
    held = session.offer(LocalMedia("192.0.2.10", 40000, direction="sendonly"))
    assert (first.origin.version, same.origin.version, held.origin.version) == (0, 0, 1)
    assert held.origin.session_id == first.origin.session_id
    assert SessionDescription.parse(str(held)) == held
