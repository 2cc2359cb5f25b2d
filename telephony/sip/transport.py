"""asyncio transports for SIP over UDP and TCP (RFC 3261 §18): they decode and delegate.

Each transport hands parsed messages to a `Receive` callback, the top Via of requests stamped
with the source address (§18.2.1, RFC 3581). Garbage that still names a request's Via, From,
To, Call-ID and CSeq is answered 400 straight back to its source; other garbage is dropped and
counted. TCP frames messages by Content-Length (§18.3). Listening binds port 0 by default and
keeps the socket, so the bound port is read from it, never probed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from telephony.sip.builders import bad_request_response, stamp_top_via
from telephony.sip.message import MAX_MESSAGE_BYTES, SipMessage, SipRequest, parse_message
from telephony.sip.syntax import SipParseError

log = logging.getLogger(__name__)
Peer = tuple[str, int]
Receive = Callable[[SipMessage, Peer], None]
# `\r?$`: a header line ends in CRLF; only the last one is cut before its CR (by the blank line)
_CONTENT_LENGTH = re.compile(
    rb"^(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,9})[ \t]*\r?$", re.I | re.M
)
_HEAD_END = re.compile(rb"\r?\n\r?\n")


class SipTransport(Protocol):
    """What the endpoint needs from a transport."""

    reliable: bool

    def send(self, message: SipMessage, peer: Peer) -> None:
        """Send or raise `OSError`."""


@dataclass(slots=True)
class TransportStats:
    """Counters for what came in and what became of it."""

    received: int = 0
    delivered: int = 0
    answered_bad_request: int = 0
    dropped: int = 0
    keepalives: int = 0
    handler_errors: int = 0
    sent: int = 0


class _Ingest:
    """The decode-and-delegate step shared by UDP and TCP."""

    def __init__(self, receive: Receive, *, symmetric: bool) -> None:
        self._receive = receive
        self._symmetric = symmetric
        self.stats = TransportStats()

    def _send_bytes(self, data: bytes, peer: Peer) -> None:
        raise NotImplementedError

    def ingest(self, data: bytes, peer: Peer) -> None:
        """Decode one datagram or frame and deliver it, answer it 400, or drop it."""
        self.stats.received += 1
        if not data.strip(b"\r\n"):
            self.stats.keepalives += 1  # RFC 5626 §3.5.1 CRLF keep-alive
            return
        try:
            message = parse_message(data)
            if isinstance(message, SipRequest):
                stamp_top_via(message, *peer, symmetric=self._symmetric)
        except SipParseError as error:
            self._refuse(data, peer, error)
            return
        self.stats.delivered += 1
        try:
            self._receive(message, peer)
        except Exception:  # one bad message must not take the endpoint down
            self.stats.handler_errors += 1
            log.exception("SIP handler failed on a message from %s", peer)

    def _refuse(self, data: bytes, peer: Peer, error: SipParseError) -> None:
        # Answered to the source address, never to what the Via claims (no reflection).
        answer = bad_request_response(data, source=peer)
        if answer is None:
            self.stats.dropped += 1
            log.debug("dropped unparseable data from %s: %s", peer, error.reason)
            return
        self.stats.answered_bad_request += 1
        try:
            self._send_bytes(answer, peer)
        except OSError:
            log.debug("could not answer 400 to %s", peer)


class UdpTransport(_Ingest, asyncio.DatagramProtocol):
    """SIP over UDP (§18.1.1, §18.2.1)."""

    reliable = False

    def __init__(self, receive: Receive, *, symmetric: bool = False) -> None:
        super().__init__(receive, symmetric=symmetric)
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the socket's transport."""
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """One datagram is one message (§18.3)."""
        self.ingest(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        """ICMP errors and the like: logged, the socket stays open."""
        log.info("UDP error: %s", exc)

    def send(self, message: SipMessage, peer: Peer) -> None:
        """Send one message as one datagram."""
        self._send_bytes(bytes(message), peer)

    def _send_bytes(self, data: bytes, peer: Peer) -> None:
        if self._transport is None or self._transport.is_closing():
            raise OSError("UDP transport is closed")
        self._transport.sendto(data, peer)
        self.stats.sent += 1

    @property
    def local_address(self) -> Peer:
        """The bound address (port 0 resolved)."""
        if self._transport is None:
            raise OSError("UDP transport is not open")
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()


async def open_udp(
    receive: Receive, host: str = "127.0.0.1", port: int = 0, *, symmetric: bool = False
) -> UdpTransport:
    """Bind a UDP transport (port 0: any free port, read back from `local_address`)."""
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(
        lambda: UdpTransport(receive, symmetric=symmetric), local_addr=(host, port)
    )
    return protocol


class FramingError(Exception):
    """The stream cannot be framed any more (oversized headers or body); close it."""


class StreamFramer:
    """Splits a TCP byte stream into messages by Content-Length (§18.3). Pure."""

    def __init__(self, max_message: int = MAX_MESSAGE_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_message

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the complete messages (and CRLF keep-alives as b'\\r\\n')."""
        self._buffer += data
        frames: list[bytes] = []
        while frame := self._next():
            frames.append(frame)
        return frames

    def _next(self) -> bytes | None:
        if self._buffer[:2] == b"\r\n" or self._buffer[:1] == b"\n":
            width = 2 if self._buffer[:2] == b"\r\n" else 1
            del self._buffer[:width]
            return b"\r\n"
        end = _HEAD_END.search(self._buffer)
        if end is None:
            if len(self._buffer) > self._max:
                raise FramingError("header section too large")
            return None
        length = _CONTENT_LENGTH.search(self._buffer[: end.start()])
        size = end.end() + (int(length.group(1)) if length else 0)
        if size > self._max:
            raise FramingError("message too large")
        if len(self._buffer) < size:
            return None
        frame = bytes(self._buffer[:size])
        del self._buffer[:size]
        return frame


class TcpTransport(_Ingest):
    """SIP over TCP (§18): responses go back on the connection the request came in on."""

    reliable = True

    def __init__(self, receive: Receive, *, symmetric: bool = False) -> None:
        super().__init__(receive, symmetric=symmetric)
        self._connections: dict[Peer, asyncio.Transport] = {}
        self._server: asyncio.Server | None = None

    async def listen(self, host: str = "127.0.0.1", port: int = 0) -> Peer:
        """Start listening; returns the bound address."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _TcpConnection(self), host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def connect(self, peer: Peer) -> None:
        """Open a connection to `peer` (a client's first request)."""
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: _TcpConnection(self), *peer)

    def send(self, message: SipMessage, peer: Peer) -> None:
        """Write to the open connection with `peer`; `OSError` when there is none."""
        self._send_bytes(bytes(message), peer)

    def _send_bytes(self, data: bytes, peer: Peer) -> None:
        connection = self._connections.get(peer)
        if connection is None or connection.is_closing():
            raise OSError(f"no TCP connection with {peer}")
        connection.write(data)
        self.stats.sent += 1

    def _opened(self, peer: Peer, transport: asyncio.Transport) -> None:
        self._connections[peer] = transport

    def _closed(self, peer: Peer, transport: asyncio.Transport) -> None:
        if self._connections.get(peer) is transport:
            del self._connections[peer]

    def connected(self, peer: Peer) -> bool:
        """True when a connection with `peer` is open (a request to it can reuse it)."""
        connection = self._connections.get(peer)
        return connection is not None and not connection.is_closing()

    @property
    def open_connections(self) -> int:
        """How many connections are open."""
        return len(self._connections)

    async def close(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for connection in list(self._connections.values()):
            connection.close()


class _TcpConnection(asyncio.Protocol):
    """One TCP connection: frames bytes and feeds the owner's ingest."""

    def __init__(self, owner: TcpTransport) -> None:
        self._owner = owner
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._peer: Peer = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the connection under its peer address."""
        self._transport = cast(asyncio.Transport, transport)
        host, port = transport.get_extra_info("peername")[:2]
        self._peer = (str(host), int(port))
        self._owner._opened(self._peer, self._transport)

    def data_received(self, data: bytes) -> None:
        """Frame and ingest; close the connection on unframeable input."""
        try:
            frames = self._framer.feed(data)
        except FramingError as error:
            log.info("closing TCP connection from %s: %s", self._peer, error)
            self._owner.stats.dropped += 1
            if self._transport is not None:
                self._transport.close()
            return
        for frame in frames:
            self._owner.ingest(frame, self._peer)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        if self._transport is not None:
            self._owner._closed(self._peer, self._transport)
