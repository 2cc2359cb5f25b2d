"""DTMF digits as RTP telephone events (RFC 4733): the payload, a sender and a receiver.

The sender turns one key press into the packets RFC 4733 §2.5.1 asks for: a first packet with the
marker bit, updates with a growing duration, and the final packet sent three times, all with the
timestamp of the event's start. The receiver (§2.5.2) turns any such stream back into digits,
each once: retransmitted end packets are recognised by their timestamp, and an event whose first
packets were lost is still reported from the first packet that does arrive.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from telephony.media.rtp_packet import RtpPacket

# RFC 4733 §3.2, Table 7: DTMF named events
EVENT_CODES: dict[str, int] = {
    **{str(d): d for d in range(10)},
    "*": 10,
    "#": 11,
    "A": 12,
    "B": 13,
    "C": 14,
    "D": 15,
}
DIGITS: dict[int, str] = {code: digit for digit, code in EVENT_CODES.items()}
EVENT_FLASH = 16
MAX_DURATION = 0xFFFF
END_PACKET_COUNT = 3  # RFC 4733 §2.5.1.4: the final packet is sent three times
_PAYLOAD = struct.Struct("!BBH")


class DtmfParseError(ValueError):
    """The bytes are not a telephone-event payload."""


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One telephone-event payload (RFC 4733 §2.3): event, end bit, volume, duration."""

    event: int
    end: bool = False
    volume: int = 10  # power level as -dBm0, 0..63 (§2.3.4)
    duration: int = 0  # in RTP timestamp units since the event began (§2.3.5)

    def __post_init__(self) -> None:
        if not 0 <= self.event <= 0xFF:
            raise ValueError(f"event code out of range: {self.event}")
        if not 0 <= self.volume <= 63:
            raise ValueError(f"volume out of range 0..63: {self.volume}")
        if not 0 <= self.duration <= MAX_DURATION:
            raise ValueError(f"duration out of range: {self.duration}")

    @classmethod
    def parse(cls, data: bytes) -> TelephoneEvent:
        """Parse the first event of a payload (RFC 4733 §2.3); the R bit is ignored (§2.3.3)."""
        if len(data) < _PAYLOAD.size:
            raise DtmfParseError(f"telephone-event payload too short: {len(data)} bytes")
        event, flags, duration = _PAYLOAD.unpack_from(data)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def __bytes__(self) -> bytes:
        """The 4-byte payload on the wire (RFC 4733 §2.3)."""
        return _PAYLOAD.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)

    @property
    def digit(self) -> str | None:
        """The DTMF key this event is, or None for other events."""
        return DIGITS.get(self.event)


def event_code(digit: str) -> int:
    """The RFC 4733 event code of a DTMF key (`0`-`9`, `*`, `#`, `A`-`D`)."""
    code = EVENT_CODES.get(digit.upper())
    if code is None:
        raise ValueError(f"not a DTMF key: {digit!r}")
    return code


@dataclass(frozen=True, slots=True)
class DtmfSender:
    """Builds the RTP packets for one key press (RFC 4733 §2.5.1)."""

    payload_type: int
    ssrc: int
    step: int = 160  # timestamp units between updates: one 20 ms packet at 8000 Hz
    volume: int = 10

    def packets(
        self, digit: str, *, timestamp: int, first_sequence: int, duration: int = 800
    ) -> list[RtpPacket]:
        """All packets of a `duration`-unit event starting at `timestamp` (§2.5.1.2-§2.5.1.4).

        Each packet has its own sequence number; every one carries the event's start timestamp.
        """
        if not 0 < duration <= MAX_DURATION:
            raise ValueError(f"event duration out of range: {duration}")
        code = event_code(digit)
        updates = list(range(self.step, duration, self.step))
        events = [TelephoneEvent(code, False, self.volume, d) for d in updates]
        events += [TelephoneEvent(code, True, self.volume, duration)] * END_PACKET_COUNT
        return [
            RtpPacket(
                payload_type=self.payload_type,
                sequence_number=(first_sequence + i) & 0xFFFF,
                timestamp=timestamp & 0xFFFFFFFF,
                ssrc=self.ssrc,
                payload=bytes(event),
                marker=i == 0,
            )
            for i, event in enumerate(events)
        ]


@dataclass(slots=True)
class _Current:
    timestamp: int
    event: int
    duration: int
    ended: bool


class DtmfReceiver:
    """Turns received telephone-event packets into digits, each reported once (RFC 4733 §2.5.2).

    An event is identified by its RTP timestamp. A digit is reported from the first packet seen
    for a new timestamp, whether that is the marked start or (start lost) an update or an end.
    A new timestamp that continues an unfinished event right where it left off is a further
    segment of a long event (§2.5.1.3), not a new key press.
    """

    def __init__(self, payload_type: int, memory: int = 16) -> None:
        self.payload_type = payload_type
        self._seen: deque[int] = deque(maxlen=memory)
        self._current: _Current | None = None

    def feed(self, packet: RtpPacket) -> str | None:
        """The digit this packet starts, if it starts one; None otherwise (or not an event)."""
        if packet.payload_type != self.payload_type:
            return None
        try:
            event = TelephoneEvent.parse(packet.payload)
        except DtmfParseError:
            return None
        current = self._current
        if current is not None and current.timestamp == packet.timestamp:
            current.duration = max(current.duration, event.duration)
            current.ended = current.ended or event.end
            return None
        if packet.timestamp in self._seen:  # a late retransmission of an earlier event
            return None
        continues = self._continues(packet, event)
        self._seen.append(packet.timestamp)
        self._current = _Current(packet.timestamp, event.event, event.duration, event.end)
        return None if continues else event.digit

    def _continues(self, packet: RtpPacket, event: TelephoneEvent) -> bool:
        current = self._current
        return (
            current is not None
            and not packet.marker
            and not current.ended
            and current.event == event.event
            and (current.timestamp + current.duration) & 0xFFFFFFFF == packet.timestamp
        )
