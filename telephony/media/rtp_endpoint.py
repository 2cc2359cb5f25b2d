"""An RTP endpoint on asyncio: one RTP/RTCP socket pair from a configured port range.

- Ports: `PortAllocator` binds an even RTP port and the next odd RTCP port from the range and keeps
  both sockets for the life of the endpoint; a port in use makes it try the next pair. It never
  binds a port only to close it again and guess that the port is free (RFC 3550 §11 pairs).
- Symmetric RTP (RFC 4961): once media arrives, we send to where it came from, whatever the SDP
  said, and ignore other sources from then on.
- Receiving: RFC 4733 events go to a `DtmfReceiver`, every other packet to the `on_packet` sink
  (the relay bridge, or a media session's jitter buffer), and into receiver statistics.
- RTCP: `send_report()` sends an SR (if we sent media) or RR with SDES CNAME (RFC 3550 §6.1),
  when the `RtcpSchedule` says so; received SRs feed LSR/DLSR.

The protocol classes only decode and delegate; everything they need is in the pure modules.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from telephony.media.codecs import SAMPLES_PER_FRAME, Codec, transcode
from telephony.media.dtmf import DtmfReceiver
from telephony.media.receiver_stats import ReceiverStatistics
from telephony.media.rtcp import (
    ReceiverReport,
    RtcpPacket,
    RtcpParseError,
    SenderReport,
    SourceDescription,
    build_compound,
    ntp_timestamp,
    parse_compound,
)
from telephony.media.rtp_packet import RtpPacket, RtpParseError, plain_packet

Address = tuple[str, int]


class DatagramSink(Protocol):
    """The part of a datagram transport the endpoint uses."""

    def sendto(self, data: bytes, addr: Address) -> None:
        """Send one datagram."""

    def close(self) -> None:
        """Release the socket."""


class PortsExhausted(OSError):
    """Every RTP port pair in the configured range is in use."""


@dataclass(frozen=True, slots=True)
class PortRange:
    """The UDP ports media may use: even RTP ports, each with the next odd port for RTCP."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 1024 <= self.first < self.last <= 65535:
            raise ValueError(f"bad RTP port range {self.first}-{self.last}")

    def pairs_from(self, start: int) -> Iterator[int]:
        """Every even RTP port of the range once, starting at `start` and wrapping around."""
        low = self.first + self.first % 2
        ports = list(range(low, self.last, 2))  # the RTCP port (+1) must fit in the range too
        if not ports:
            return
        offset = max(0, (start - low) // 2) % len(ports)
        yield from ports[offset:] + ports[:offset]


class _Datagrams(asyncio.DatagramProtocol):
    """Hands each datagram to a callback; nothing else."""

    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self._on_datagram(data, addr)


class PortAllocator:
    """Binds RTP/RTCP socket pairs from a range, round-robin, and keeps them bound; `on_open`
    hears of every endpoint opened on its ports (the RTCP schedule)."""

    def __init__(
        self, host: str, ports: PortRange, on_open: Callable[[RtpEndpoint], None] | None = None
    ) -> None:
        self.host = host
        self.ports = ports
        self.on_open = on_open
        self._cursor = ports.first

    async def bind_pair(
        self, on_rtp: Callable[[bytes, Address], None], on_rtcp: Callable[[bytes, Address], None]
    ) -> tuple[asyncio.DatagramTransport, asyncio.DatagramTransport, int]:
        """The RTP and RTCP transports and the RTP port; `PortsExhausted` if all are taken."""
        loop = asyncio.get_running_loop()
        for port in self.ports.pairs_from(self._cursor):
            try:
                rtp, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(on_rtp), local_addr=(self.host, port)
                )
            except OSError:
                continue
            try:
                rtcp, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(on_rtcp), local_addr=(self.host, port + 1)
                )
            except OSError:
                rtp.close()  # release the half pair we hold, then try the next pair
                continue
            self._cursor = port + 2
            return rtp, rtcp, port
        raise PortsExhausted(f"no free RTP port pair in {self.ports.first}-{self.ports.last}")


@dataclass(slots=True)
class _Relay:
    """Maps one incoming source's sequence numbers and timestamps onto ours."""

    source_ssrc: int
    seq_offset: int
    ts_offset: int


class RtpEndpoint:
    """One leg's RTP: send and receive packets of one negotiated codec plus RFC 4733 digits."""

    def __init__(self, codec: Codec, payload_type: int, dtmf_payload_type: int | None) -> None:
        self.codec = codec
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self.ssrc = random.getrandbits(32)
        self.cname = f"{self.ssrc:08x}@hotline"
        self.next_seq = random.getrandbits(16)
        self.next_ts = random.getrandbits(32)
        self.remote: Address | None = None
        self.latched = False
        self.on_packet: Callable[[RtpPacket], None] | None = None
        self.on_digit: Callable[[str], None] | None = None
        self.sent_packets = 0
        self.sent_octets = 0
        self.stats: ReceiverStatistics | None = None
        self.reports_received: list[RtcpPacket] = []
        self._dtmf = DtmfReceiver(dtmf_payload_type if dtmf_payload_type is not None else -1)
        self._rtp: DatagramSink | None = None
        self._rtcp: DatagramSink | None = None
        self.local_port = 0
        self._relay: _Relay | None = None

    @classmethod
    async def open(
        cls, allocator: PortAllocator, codec: Codec, payload_type: int, dtmf_pt: int | None
    ) -> RtpEndpoint:
        """A new endpoint bound to a port pair from the allocator's range."""
        endpoint = cls(codec, payload_type, dtmf_pt)
        endpoint.attach(*await allocator.bind_pair(endpoint.rtp_received, endpoint.rtcp_received))
        if allocator.on_open is not None:
            allocator.on_open(endpoint)
        return endpoint

    def attach(self, rtp: DatagramSink, rtcp: DatagramSink, port: int) -> None:
        """Use these bound transports (a test may pass small fakes with `sendto`)."""
        self._rtp, self._rtcp, self.local_port = rtp, rtcp, port

    def set_remote(self, address: Address) -> None:
        """Where to send until media arrives (from SDP); a new offer resets the latch."""
        self.remote, self.latched = address, False

    def rtp_received(self, data: bytes, addr: Address) -> None:
        """Decode one datagram and hand it on (symmetric RTP latch on the first valid one)."""
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            return
        if self.latched and addr != self.remote:
            return
        self.remote, self.latched = addr, True
        if self.stats is None or self.stats.ssrc != packet.ssrc:
            self.stats = ReceiverStatistics(packet.ssrc, self.codec.clock_rate)
        self.stats.on_packet(packet, asyncio.get_running_loop().time())
        if packet.payload_type == self.dtmf_payload_type:
            digit = self._dtmf.feed(packet)
            if digit is not None and self.on_digit is not None:
                self.on_digit(digit)
        if self.on_packet is not None:
            self.on_packet(packet)

    def rtcp_received(self, data: bytes, addr: Address) -> None:
        """Decode an RTCP compound packet; an SR feeds LSR/DLSR of our next report."""
        try:
            packets = parse_compound(data)
        except RtcpParseError:
            return
        self.reports_received.extend(packets)
        for packet in packets:
            if isinstance(packet, SenderReport) and self.stats is not None:
                self.stats.on_sender_report(packet.ntp_timestamp, asyncio.get_running_loop().time())

    def send_payload(
        self, payload: bytes, *, payload_type: int | None = None, marker: bool = False,
        timestamp: int | None = None, samples: int = SAMPLES_PER_FRAME,
    ) -> None:  # fmt: skip
        """Send one packet from our own sequence and timestamp counters."""
        ts = self.next_ts if timestamp is None else timestamp
        pt = self.payload_type if payload_type is None else payload_type
        self._send(plain_packet(pt & 0x7F, self.next_seq, ts, self.ssrc, payload, marker), payload)
        self.next_seq = (self.next_seq + 1) & 0xFFFF
        if timestamp is None:
            self.next_ts = (self.next_ts + samples) & 0xFFFFFFFF

    def send_frame(self, pcm: bytes, *, marker: bool = False) -> None:
        """Encode one 20 ms PCM frame with the leg's codec and send it."""
        self.send_payload(self.codec.encode(pcm), marker=marker)

    def relay(self, packet: RtpPacket, source: RtpEndpoint) -> None:
        """Forward a packet from another leg at once: payload untouched if codecs match,
        transcoded otherwise; our SSRC, sequence and timestamp spaces (RFC 3550 §7.1)."""
        mapped = self._relay_payload(packet, source)
        if mapped is None:
            return
        payload_type, payload = mapped
        relay = self._relay
        if relay is None or relay.source_ssrc != packet.ssrc:
            seq_offset = (self.next_seq - packet.sequence_number) & 0xFFFF
            ts_offset = (self.next_ts - packet.timestamp) & 0xFFFFFFFF
            relay = self._relay = _Relay(packet.ssrc, seq_offset, ts_offset)
        seq = (packet.sequence_number + relay.seq_offset) & 0xFFFF
        ts = (packet.timestamp + relay.ts_offset) & 0xFFFFFFFF
        self._send(plain_packet(payload_type, seq, ts, self.ssrc, payload, packet.marker), payload)
        self.next_seq = (seq + 1) & 0xFFFF
        self.next_ts = (ts + SAMPLES_PER_FRAME) & 0xFFFFFFFF

    def _relay_payload(self, packet: RtpPacket, source: RtpEndpoint) -> tuple[int, bytes] | None:
        """Our payload type and payload for a relayed packet; None to drop it."""
        if packet.payload_type == source.dtmf_payload_type:
            if self.dtmf_payload_type is None:
                return None  # this leg negotiated no telephone-event: nothing to map it to
            return self.dtmf_payload_type, packet.payload
        if packet.payload_type != source.payload_type:
            return None  # comfort noise or a codec we did not agree on
        return self.payload_type, transcode(packet.payload, source.codec, self.codec)

    def stop_relay(self) -> None:
        """Forget the relayed source's mapping, so a later bridge starts a fresh one."""
        self._relay = None

    def send_report(self, wall_clock_s: float) -> None:
        """Send SR or RR plus SDES CNAME (RFC 3550 §6.1, §6.4) to the remote RTCP port."""
        loop_now = asyncio.get_running_loop().time()
        blocks = (self.stats.report_block(loop_now),) if self.stats is not None else ()
        report: RtcpPacket = ReceiverReport(self.ssrc, blocks)
        if self.sent_packets:
            report = SenderReport(
                self.ssrc, ntp_timestamp(wall_clock_s), self.next_ts,
                self.sent_packets, self.sent_octets, blocks,
            )  # fmt: skip
        data = build_compound([report, SourceDescription.cname(self.ssrc, self.cname)])
        if self._rtcp is not None and self.remote is not None:
            self._rtcp.sendto(data, (self.remote[0], self.remote[1] + 1))

    @property
    def closed(self) -> bool:
        """True once the sockets are released (or before any were attached)."""
        return self._rtp is None

    def close(self) -> None:
        """Release both sockets."""
        for transport in (self._rtp, self._rtcp):
            if transport is not None:
                transport.close()
        self._rtp = self._rtcp = None

    def _send(self, packet: bytes, payload: bytes) -> None:
        if self._rtp is None or self.remote is None:
            return
        self._rtp.sendto(packet, self.remote)
        self.sent_packets += 1
        self.sent_octets += len(payload)
