"""The RTP data packet (RFC 3550 §5.1): a small dataclass that parses from and builds to bytes.

Parsing garbage raises `RtpParseError` and nothing else, so a socket handler can drop bad datagrams
with one `except`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

RTP_VERSION = 2
HEADER_SIZE = 12
_HEADER = struct.Struct("!BBHII")
_EXTENSION_HEADER = struct.Struct("!HH")


class RtpParseError(ValueError):
    """The bytes are not a valid RTP packet."""


@dataclass(frozen=True, slots=True)
class RtpExtension:
    """A header extension (RFC 3550 §5.3.1): a profile-defined 16-bit id and whole 32-bit words."""

    profile: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.profile <= 0xFFFF:
            raise ValueError(f"extension profile out of range: {self.profile}")
        if len(self.data) % 4 or len(self.data) > 0xFFFF * 4:
            raise ValueError("extension data must be whole 32-bit words, at most 65535 of them")


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet (RFC 3550 §5.1): fixed header, CSRC list, optional extension, payload.

    `padding` is the number of padding octets at the end (RFC 3550 §5.1 "P"), 0 for none; the
    padding octets are built as zeros followed by the count.
    """

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: RtpExtension | None = None
    padding: int = 0
    version: int = field(default=RTP_VERSION, repr=False)

    def __post_init__(self) -> None:
        _check_range("payload_type", self.payload_type, 0x7F)
        _check_range("sequence_number", self.sequence_number, 0xFFFF)
        _check_range("timestamp", self.timestamp, 0xFFFFFFFF)
        _check_range("ssrc", self.ssrc, 0xFFFFFFFF)
        _check_range("padding", self.padding, 0xFF)
        if len(self.csrc) > 15:
            raise ValueError("at most 15 CSRC identifiers fit in an RTP header")
        for source in self.csrc:
            _check_range("csrc", source, 0xFFFFFFFF)

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse one RTP packet (RFC 3550 §5.1); raise `RtpParseError` on anything malformed."""
        if len(data) < HEADER_SIZE:
            raise RtpParseError(f"RTP packet too short: {len(data)} bytes")
        first, second, seq, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != RTP_VERSION:
            raise RtpParseError(f"RTP version {first >> 6}, expected 2")
        end = len(data) - _padding_size(data, bool(first & 0x20))
        offset = HEADER_SIZE + 4 * (first & 0x0F)
        if offset > end:
            raise RtpParseError("CSRC list runs past the end of the packet")
        csrc = struct.unpack_from(f"!{first & 0x0F}I", data, HEADER_SIZE)
        extension = None
        if first & 0x10:
            extension, offset = _parse_extension(data, offset, end)
        return cls(
            payload_type=second & 0x7F,
            sequence_number=seq,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[offset:end]),
            marker=bool(second & 0x80),
            csrc=csrc,
            extension=extension,
            padding=len(data) - end,
        )

    def __bytes__(self) -> bytes:
        """The packet on the wire (RFC 3550 §5.1)."""
        first = (RTP_VERSION << 6) | len(self.csrc)
        if self.padding:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        second = (0x80 if self.marker else 0) | self.payload_type
        parts = [
            _HEADER.pack(first, second, self.sequence_number, self.timestamp, self.ssrc),
            struct.pack(f"!{len(self.csrc)}I", *self.csrc),
        ]
        if self.extension is not None:
            ext = self.extension
            parts.append(_EXTENSION_HEADER.pack(ext.profile, len(ext.data) // 4) + ext.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes([self.padding]))
        return b"".join(parts)


def plain_packet(
    payload_type: int, sequence_number: int, timestamp: int, ssrc: int, payload: bytes,
    marker: bool = False,
) -> bytes:  # fmt: skip
    """The wire form of a packet without CSRCs, extension or padding: what the media paths send
    50 times a second per leg, so it skips `RtpPacket`'s object and range checks (the callers
    keep their counters in range)."""
    second = (0x80 if marker else 0) | payload_type
    return _HEADER.pack(0x80, second, sequence_number, timestamp, ssrc) + payload


def _check_range(name: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} out of range 0..{maximum}: {value}")


def _padding_size(data: bytes, padded: bool) -> int:
    """Octets of padding at the end; the last octet counts them, itself included (§5.1 "P")."""
    if not padded:
        return 0
    count = data[-1]
    if count == 0 or count > len(data) - HEADER_SIZE:
        raise RtpParseError(f"invalid RTP padding count {count}")
    return count


def _parse_extension(data: bytes, offset: int, end: int) -> tuple[RtpExtension, int]:
    """The header extension at `offset` (RFC 3550 §5.3.1) and the offset after it."""
    if offset + 4 > end:
        raise RtpParseError("RTP header extension runs past the end of the packet")
    profile, words = _EXTENSION_HEADER.unpack_from(data, offset)
    stop = offset + 4 + 4 * words
    if stop > end:
        raise RtpParseError("RTP header extension data runs past the end of the packet")
    return RtpExtension(profile, bytes(data[offset + 4 : stop])), stop
