"""SDP offer/answer for the carrier's legs (RFC 3264), tied to RTP endpoints from the port range.

A caller's leg answers the offer in the INVITE; an agent's leg offers and reads the phone's answer.
An unusable offer raises `OfferAnswerError` (the SIP layer answers 488, §13.3.1.1 / RFC 3264 §6).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telephony.media.codecs import get_codec
from telephony.media.offer_answer import (
    DEFAULT_DTMF_PAYLOAD_TYPE,
    LocalMedia,
    NegotiatedAudio,
    OfferAnswerError,
    SdpSession,
    accept_answer,
    answer_offer,
)
from telephony.media.rtp_endpoint import PortAllocator, RtpEndpoint
from telephony.media.sdp import SdpParseError, SessionDescription

SDP = "application/sdp"
_DRY_RUN_PORT = 9  # a placeholder port for choosing the codec before a port is bound


def parse_sdp(body: bytes) -> SessionDescription:
    """A peer's SDP body; `OfferAnswerError` when it is missing or unreadable."""
    if not body:
        raise OfferAnswerError("no SDP offer (offerless INVITEs are not supported)")
    try:
        return SessionDescription.parse(body.decode("utf-8"))
    except (SdpParseError, UnicodeDecodeError) as error:
        raise OfferAnswerError(f"unreadable SDP: {error}") from None


def new_sdp_session(address: str) -> SdpSession:
    """Our side's SDP session with a random session id (RFC 8866 §5.2)."""
    return SdpSession(address, str(secrets.randbelow(10**12)))


def choose_codec(offer: SessionDescription, address: str) -> NegotiatedAudio:
    """What we would agree to, without a port yet (a dry run on a throw-away session)."""
    _, agreed = answer_offer(offer, LocalMedia(address, _DRY_RUN_PORT), new_sdp_session(address))
    return agreed


@dataclass(slots=True)
class AnsweredMedia:
    """A caller's leg media: its endpoint, our SDP answer, and what was agreed."""

    endpoint: RtpEndpoint
    answer: bytes
    agreed: NegotiatedAudio
    session: SdpSession


async def open_answering(
    allocator: PortAllocator, offer: SessionDescription, address: str
) -> AnsweredMedia:
    """Bind an endpoint for the offer's agreed codec and write our answer with its port."""
    agreed = choose_codec(offer, address)
    codec = get_codec(agreed.codec)
    endpoint = await RtpEndpoint.open(
        allocator, codec, agreed.payload_type, agreed.dtmf_payload_type
    )
    session = new_sdp_session(address)
    answer, agreed = answer_offer(offer, LocalMedia(address, endpoint.local_port), session)
    endpoint.set_remote((agreed.remote_address, agreed.remote_port))
    return AnsweredMedia(endpoint, str(answer).encode(), agreed, session)


@dataclass(slots=True)
class OfferedMedia:
    """An agent's leg media: its endpoint and our offer."""

    endpoint: RtpEndpoint
    offer: SessionDescription


async def open_offering(allocator: PortAllocator, address: str) -> OfferedMedia:
    """Bind an endpoint and write an offer of PCMU, PCMA and telephone-event on its port.

    PCMU comes first: pyVoIP 1.6.8 sends whatever it picks first, and encodes PCMA wrongly."""
    pcmu = get_codec("PCMU")
    endpoint = await RtpEndpoint.open(allocator, pcmu, pcmu.payload_type, DEFAULT_DTMF_PAYLOAD_TYPE)
    offer = new_sdp_session(address).offer(LocalMedia(address, endpoint.local_port))
    return OfferedMedia(endpoint, offer)


def apply_answer(media: OfferedMedia, body: bytes) -> NegotiatedAudio:
    """Read the phone's answer and point the endpoint at it; `OfferAnswerError` if unusable."""
    agreed = accept_answer(media.offer, parse_sdp(body))
    endpoint = media.endpoint
    endpoint.codec = get_codec(agreed.codec)
    endpoint.payload_type = agreed.payload_type
    # RFC 3264 §6.1: the answerer keeps our payload numbers, so our DTMF receiver still fits.
    endpoint.dtmf_payload_type = agreed.dtmf_payload_type
    endpoint.set_remote((agreed.remote_address, agreed.remote_port))
    return agreed
