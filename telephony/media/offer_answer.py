"""The SDP offer/answer model (RFC 3264) for one G.711 audio stream with RFC 4733 digits.

- `SdpSession` writes our descriptions and keeps the o= version right across re-offers (§8).
- `answer_offer` answers a peer's offer (§6): it accepts the first audio stream that offers PCMU or
  PCMA, keeps the offer's payload type numbers, adds telephone-event if offered, and rejects every
  other stream with port 0 (§6); a stream direction mirrors the offer's (§6.1).
- `accept_answer` reads the peer's answer to our offer (§7).
- `remote_hold` tells whether an offer puts us on hold (§8.4: sendonly or inactive, or the legacy
  RFC 2543 `c=0.0.0.0`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from telephony.media.codecs import supported_codecs
from telephony.media.sdp import (
    Attribute,
    Connection,
    MediaDescription,
    Origin,
    RtpMap,
    SessionDescription,
)

TELEPHONE_EVENT = "telephone-event"
DEFAULT_DTMF_PAYLOAD_TYPE = 101
DTMF_EVENTS = "0-16"  # RFC 4733 §3.2: the DTMF keys and flash
_STATIC = {"PCMU": 0, "PCMA": 8}


class OfferAnswerError(ValueError):
    """No acceptable audio stream: the SIP layer answers 488 Not Acceptable Here."""


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """What we offer or accept for audio: our RTP address and port, codecs in preference order."""

    address: str
    port: int
    codecs: tuple[str, ...] = ("PCMU", "PCMA")
    dtmf: bool = True
    ptime: int = 20
    direction: str = "sendrecv"


@dataclass(frozen=True, slots=True)
class NegotiatedAudio:
    """The outcome of an offer/answer exchange, from our side of the call."""

    remote_address: str
    remote_port: int
    codec: str  # PCMU or PCMA
    payload_type: int
    dtmf_payload_type: int | None
    direction: str  # ours: sendonly means we send and do not receive
    remote_ptime: int | None = None

    @property
    def on_hold(self) -> bool:
        """The peer does not want our audio, or does not send (RFC 3264 §8.4)."""
        return self.direction != "sendrecv"


@dataclass(slots=True)
class SdpSession:
    """Our side's descriptions over a dialog: one session id, a version bumped on change (§8)."""

    address: str
    session_id: str
    username: str = "hotline"
    version: int = 0
    _last_body: str | None = field(default=None, repr=False)

    def describe(self, media: tuple[MediaDescription, ...]) -> SessionDescription:
        """Our description of `media`; the version goes up by one if anything changed (§8)."""
        body = SessionDescription(self._origin(), "Hotline", Connection(self.address), media=media)
        text = str(replace(body, origin=self._origin(0)))
        if self._last_body is not None and text != self._last_body:
            self.version += 1
        self._last_body = text
        return replace(body, origin=self._origin())

    def offer(self, local: LocalMedia) -> SessionDescription:
        """An offer (§5) of one audio stream with our codecs and, if wanted, telephone-event."""
        formats = [_STATIC[name] for name in local.codecs if name in _STATIC]
        maps = [RtpMap(pt, name, 8000) for name, pt in _STATIC.items() if pt in formats]
        if local.dtmf:
            formats.append(DEFAULT_DTMF_PAYLOAD_TYPE)
            maps.append(RtpMap(DEFAULT_DTMF_PAYLOAD_TYPE, TELEPHONE_EVENT, 8000))
        return self.describe((_audio(local, formats, maps),))

    def _origin(self, version: int | None = None) -> Origin:
        v = self.version if version is None else version
        return Origin(self.username, self.session_id, v, self.address)


def answer_offer(
    offer: SessionDescription, local: LocalMedia, session: SdpSession
) -> tuple[SessionDescription, NegotiatedAudio]:
    """Our answer to `offer` and what was agreed (RFC 3264 §6, §6.1)."""
    answers: list[MediaDescription] = []
    agreed: NegotiatedAudio | None = None
    for stream in offer.media:
        choice = None if agreed else _choose(stream, local)
        if choice is None:
            answers.append(_rejected(stream))
            continue
        codec_pt, dtmf_pt = choice
        offered_direction = _effective_direction(offer, stream)
        ours = _answer_direction(offered_direction, local.direction)
        maps = [m for pt, m in stream.rtpmaps().items() if pt in (codec_pt, dtmf_pt)]
        answers.append(_audio(replace(local, direction=ours), [codec_pt, dtmf_pt], maps))
        agreed = _agreed(offer, stream, codec_pt, dtmf_pt, ours)
    if agreed is None:
        raise OfferAnswerError("no audio stream with PCMU or PCMA in the offer")
    return session.describe(tuple(answers)), agreed


def accept_answer(offer: SessionDescription, answer: SessionDescription) -> NegotiatedAudio:
    """What the peer's answer to our offer agreed (RFC 3264 §7)."""
    if len(answer.media) != len(offer.media):
        raise OfferAnswerError("the answer must have one m= line per offered stream (§6)")
    for ours, theirs in zip(offer.media, answer.media, strict=True):
        if theirs.port == 0 or ours.media != "audio":
            continue
        codec_pt, dtmf_pt = _pick(theirs, set(supported_codecs()))
        if codec_pt is None or codec_pt not in ours.payload_types():
            continue
        their_direction = _effective_direction(answer, theirs)
        direction = _answer_direction(their_direction, offer.direction_of(ours))
        return _agreed(answer, theirs, codec_pt, dtmf_pt, direction)
    raise OfferAnswerError("the answer accepted no audio stream we can use")


def remote_hold(description: SessionDescription) -> bool:
    """True if the peer puts us on hold: its audio is sendonly/inactive or c=0.0.0.0 (§8.4)."""
    audio = [m for m in description.media if m.media == "audio" and m.port != 0]
    return bool(audio) and all(
        _effective_direction(description, m) in ("sendonly", "inactive") for m in audio
    )


def _effective_direction(description: SessionDescription, stream: MediaDescription) -> str:
    """The direction, with the legacy hold address read as "do not send to me" (§8.4)."""
    direction = description.direction_of(stream)
    connection = description.connection_for(stream)
    if connection is not None and connection.is_null:
        return {"sendrecv": "sendonly", "recvonly": "inactive"}.get(direction, direction)
    return direction


def _choose(stream: MediaDescription, local: LocalMedia) -> tuple[int, int | None] | None:
    if stream.media != "audio" or stream.port == 0 or stream.proto != "RTP/AVP":
        return None
    codec_pt, dtmf_pt = _pick(stream, set(local.codecs))
    if codec_pt is None:
        return None
    return codec_pt, dtmf_pt if local.dtmf else None


def _pick(stream: MediaDescription, codecs: set[str]) -> tuple[int | None, int | None]:
    """The first offered codec we support (the offerer's preference) and telephone-event."""
    codec_pt = dtmf_pt = None
    for pt, rtpmap in stream.rtpmaps().items():
        name = rtpmap.encoding.upper()
        if rtpmap.clock_rate != 8000:
            continue
        if codec_pt is None and name in codecs:
            codec_pt = pt
        elif dtmf_pt is None and name == TELEPHONE_EVENT.upper():
            dtmf_pt = pt
    return codec_pt, dtmf_pt


def _agreed(
    description: SessionDescription,
    stream: MediaDescription,
    codec_pt: int,
    dtmf_pt: int | None,
    direction: str,
) -> NegotiatedAudio:
    connection = description.connection_for(stream)
    if connection is None:
        raise OfferAnswerError("the audio stream has no c= line (RFC 8866 §5.7)")
    codec = stream.rtpmaps()[codec_pt].encoding.upper()
    return NegotiatedAudio(
        connection.address, stream.port, codec, codec_pt, dtmf_pt, direction, stream.ptime
    )


def _flags(direction: str) -> tuple[bool, bool]:
    """(sends, receives) for a direction attribute."""
    return direction in ("sendrecv", "sendonly"), direction in ("sendrecv", "recvonly")


def _direction(sends: bool, receives: bool) -> str:
    return {
        (True, True): "sendrecv",
        (True, False): "sendonly",
        (False, True): "recvonly",
        (False, False): "inactive",
    }[(sends, receives)]


def _answer_direction(remote: str, local: str) -> str:
    """Our direction: we send only if the peer receives, and receive only if it sends (§6.1)."""
    their_sends, their_receives = _flags(remote)
    our_sends, our_receives = _flags(local)
    return _direction(our_sends and their_receives, our_receives and their_sends)


def _audio(
    local: LocalMedia, formats: Sequence[int | None], maps: list[RtpMap]
) -> MediaDescription:
    attributes: list[Attribute] = [("rtpmap", str(m)) for m in maps]
    dtmf = [m.payload_type for m in maps if m.encoding.lower() == TELEPHONE_EVENT]
    attributes += [("fmtp", f"{pt} {DTMF_EVENTS}") for pt in dtmf]
    attributes += [("ptime", str(local.ptime)), (local.direction, None)]
    return MediaDescription(
        media="audio",
        port=local.port,
        proto="RTP/AVP",
        formats=tuple(str(pt) for pt in formats if pt is not None),
        attributes=tuple(attributes),
    )


def _rejected(stream: MediaDescription) -> MediaDescription:
    """A refused stream: same media and formats, port 0, nothing else (RFC 3264 §6)."""
    return MediaDescription(stream.media, 0, stream.proto, stream.formats or ("0",))
