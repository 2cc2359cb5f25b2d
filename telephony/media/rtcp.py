"""RTCP packets (RFC 3550 §6): sender and receiver reports, source descriptions, BYE, and
compound packets, as small dataclasses that parse from and build to bytes.

Packet types this module does not model (APP, feedback, XR) parse into `RtcpUnknown` so that a
compound packet from any peer can be read; garbage raises `RtcpParseError` and nothing else.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

RTCP_SR = 200
RTCP_RR = 201
RTCP_SDES = 202
RTCP_BYE = 203
SDES_CNAME = 1

_COMMON = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IB3sIIII")
_SENDER_INFO = struct.Struct("!IIIIII")  # SSRC, NTP msw, NTP lsw, RTP ts, packets, octets


class RtcpParseError(ValueError):
    """The bytes are not a valid RTCP packet."""


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """One reception report block (RFC 3550 §6.4.1), about one source we receive."""

    ssrc: int
    fraction_lost: int  # lost / expected since the last report, as a fixed-point fraction of 256
    cumulative_lost: int  # signed 24 bits: duplicates can make it negative
    highest_sequence: int  # extended: cycles << 16 | highest sequence number
    jitter: int  # interarrival jitter in timestamp units (§6.4.1, A.8)
    last_sr: int = 0  # middle 32 bits of the NTP timestamp of the last SR received (LSR)
    delay_since_last_sr: int = 0  # in units of 1/65536 s (DLSR)

    @classmethod
    def parse(cls, data: bytes, offset: int = 0) -> ReportBlock:
        """Parse the 24-byte block at `offset` (RFC 3550 §6.4.1)."""
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset)
        cumulative = int.from_bytes(lost, "big", signed=True)
        return cls(ssrc, fraction, cumulative, highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        """The 24-byte block on the wire; cumulative loss is clamped to 24 bits (§6.4.1)."""
        lost = max(-0x800000, min(0x7FFFFF, self.cumulative_lost)).to_bytes(3, "big", signed=True)
        return _BLOCK.pack(
            self.ssrc,
            self.fraction_lost,
            lost,
            self.highest_sequence,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        )


@dataclass(frozen=True, slots=True)
class SenderReport:
    """SR (RFC 3550 §6.4.1): sender info from an active sender plus its reception reports."""

    ssrc: int
    ntp_timestamp: int  # 64-bit NTP time (seconds since 1900 << 32 | fraction)
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> SenderReport:
        """Parse the part after the common header (RFC 3550 §6.4.1)."""
        _need(body, _SENDER_INFO.size + 24 * count, "SR")
        ssrc, msw, lsw, rtp_ts, packets, octets = _SENDER_INFO.unpack_from(body)
        reports = _blocks(body, _SENDER_INFO.size, count)
        return cls(ssrc, msw << 32 | lsw, rtp_ts, packets, octets, reports)

    def __bytes__(self) -> bytes:
        """The SR on the wire."""
        ntp = self.ntp_timestamp
        info = _SENDER_INFO.pack(
            self.ssrc,
            ntp >> 32,
            ntp & 0xFFFFFFFF,
            self.rtp_timestamp,
            self.packet_count,
            self.octet_count,
        )
        body = info + b"".join(bytes(r) for r in self.reports)
        return _packet(RTCP_SR, len(self.reports), body)


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RR (RFC 3550 §6.4.2): reception reports from a participant that is not sending."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> ReceiverReport:
        """Parse the part after the common header (RFC 3550 §6.4.2)."""
        _need(body, 4 + 24 * count, "RR")
        return cls(struct.unpack_from("!I", body)[0], _blocks(body, 4, count))

    def __bytes__(self) -> bytes:
        """The RR on the wire."""
        body = struct.pack("!I", self.ssrc) + b"".join(bytes(r) for r in self.reports)
        return _packet(RTCP_RR, len(self.reports), body)


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """The items describing one source (RFC 3550 §6.5): (item type, value) pairs."""

    ssrc: int
    items: tuple[tuple[int, bytes], ...]

    @property
    def cname(self) -> str | None:
        """The CNAME item (RFC 3550 §6.5.1), if present."""
        for kind, value in self.items:
            if kind == SDES_CNAME:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """SDES (RFC 3550 §6.5): one chunk per source, each a list of items."""

    chunks: tuple[SdesChunk, ...]

    @classmethod
    def cname(cls, ssrc: int, cname: str) -> SourceDescription:
        """The SDES every compound packet carries: our CNAME (RFC 3550 §6.5.1)."""
        return cls((SdesChunk(ssrc, ((SDES_CNAME, cname.encode("utf-8")),)),))

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> SourceDescription:
        """Parse the chunks after the common header (RFC 3550 §6.5)."""
        chunks, offset = [], 0
        for _ in range(count):
            chunk, offset = _parse_chunk(body, offset)
            chunks.append(chunk)
        return cls(tuple(chunks))

    def __bytes__(self) -> bytes:
        """The SDES on the wire; each chunk ends with a null item and pads to 32 bits."""
        body = b""
        for chunk in self.chunks:
            items = b"".join(bytes([kind, len(value)]) + value for kind, value in chunk.items)
            raw = struct.pack("!I", chunk.ssrc) + items + b"\x00"
            body += raw + bytes(-len(raw) % 4)
        return _packet(RTCP_SDES, len(self.chunks), body)


@dataclass(frozen=True, slots=True)
class Bye:
    """BYE (RFC 3550 §6.6): these sources are leaving, with an optional reason."""

    sources: tuple[int, ...]
    reason: str = ""

    @classmethod
    def parse_body(cls, count: int, body: bytes) -> Bye:
        """Parse the part after the common header (RFC 3550 §6.6)."""
        _need(body, 4 * count, "BYE")
        sources = struct.unpack_from(f"!{count}I", body)
        reason, offset = "", 4 * count
        if offset < len(body):
            size = body[offset]
            _need(body, offset + 1 + size, "BYE reason")
            reason = body[offset + 1 : offset + 1 + size].decode("utf-8", "replace")
        return cls(sources, reason)

    def __bytes__(self) -> bytes:
        """The BYE on the wire, the reason padded to 32 bits."""
        body = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason:
            text = self.reason.encode("utf-8")[:255]
            raw = bytes([len(text)]) + text
            body += raw + bytes(-len(raw) % 4)
        return _packet(RTCP_BYE, len(self.sources), body)


@dataclass(frozen=True, slots=True)
class RtcpUnknown:
    """An RTCP packet of a type not modelled here (APP, feedback, XR), kept as raw body."""

    packet_type: int
    count: int
    body: bytes

    def __bytes__(self) -> bytes:
        """The packet on the wire, unchanged."""
        return _packet(self.packet_type, self.count, self.body)


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | RtcpUnknown
_PARSERS: dict[int, Callable[[int, bytes], RtcpPacket]] = {
    RTCP_SR: SenderReport.parse_body,
    RTCP_RR: ReceiverReport.parse_body,
    RTCP_SDES: SourceDescription.parse_body,
    RTCP_BYE: Bye.parse_body,
}


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Split and parse a compound RTCP packet (RFC 3550 §6.1); raise `RtcpParseError` if bad."""
    packets: list[RtcpPacket] = []
    offset = 0
    if len(data) < 4:
        raise RtcpParseError(f"RTCP packet too short: {len(data)} bytes")
    while offset < len(data):
        packet, offset = _parse_one(data, offset)
        packets.append(packet)
    return packets


def build_compound(packets: list[RtcpPacket]) -> bytes:
    """Concatenate packets into one compound packet (RFC 3550 §6.1)."""
    return b"".join(bytes(packet) for packet in packets)


def ntp_timestamp(unix_seconds: float) -> int:
    """The 64-bit NTP timestamp (RFC 3550 §4) of a Unix time."""
    seconds = unix_seconds + 2_208_988_800  # 1900-01-01 to 1970-01-01
    return int(seconds * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp, as LSR carries it (RFC 3550 §6.4.1)."""
    return (ntp >> 16) & 0xFFFFFFFF


def _parse_one(data: bytes, offset: int) -> tuple[RtcpPacket, int]:
    if len(data) - offset < 4:
        raise RtcpParseError("truncated RTCP header")
    first, packet_type, words = _COMMON.unpack_from(data, offset)
    if first >> 6 != 2:
        raise RtcpParseError(f"RTCP version {first >> 6}, expected 2")
    end = offset + 4 + 4 * words
    if end > len(data):
        raise RtcpParseError("RTCP length runs past the end of the packet")
    body = data[offset + 4 : end]
    if first & 0x20:  # padding: the last octet counts it (§6.4.1 "P")
        if not body or not 0 < body[-1] <= len(body):
            raise RtcpParseError("invalid RTCP padding")
        body = body[: -body[-1]]
    count = first & 0x1F
    parser = _PARSERS.get(packet_type)
    try:
        if parser is None:
            return RtcpUnknown(packet_type, count, bytes(body)), end
        return parser(count, bytes(body)), end
    except (struct.error, IndexError) as exc:
        raise RtcpParseError(f"malformed RTCP packet type {packet_type}: {exc}") from exc


def _packet(packet_type: int, count: int, body: bytes) -> bytes:
    if count > 31:
        raise ValueError("at most 31 items fit in one RTCP packet")
    body += bytes(-len(body) % 4)
    return _COMMON.pack(0x80 | count, packet_type, len(body) // 4) + body


def _need(body: bytes, size: int, what: str) -> None:
    if len(body) < size:
        raise RtcpParseError(f"{what} too short: {len(body)} bytes, need {size}")


def _blocks(body: bytes, offset: int, count: int) -> tuple[ReportBlock, ...]:
    return tuple(ReportBlock.parse(body, offset + 24 * i) for i in range(count))


def _parse_chunk(body: bytes, offset: int) -> tuple[SdesChunk, int]:
    """One SDES chunk (RFC 3550 §6.5) and the 32-bit aligned offset after it."""
    _need(body, offset + 4, "SDES chunk")
    ssrc = struct.unpack_from("!I", body, offset)[0]
    items: list[tuple[int, bytes]] = []
    pos = offset + 4
    while True:
        _need(body, pos + 1, "SDES item")
        kind = body[pos]
        if kind == 0:  # end of the item list, then padding to the next 32-bit boundary
            pos += 1
            return SdesChunk(ssrc, tuple(items)), pos + (-(pos - offset) % 4)
        _need(body, pos + 2, "SDES item")
        size = body[pos + 1]
        _need(body, pos + 2 + size, "SDES item")
        items.append((kind, bytes(body[pos + 2 : pos + 2 + size])))
        pos += 2 + size
