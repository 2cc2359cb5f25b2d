"""SIP over TCP (RFC 3261 §18) with real peers: SIPp callers and phones on a TCP connection
(`-t t1`), the carrier listening on TCP on its UDP port. (A TCP caller bridged to a pyVoIP phone
on UDP is the whole-call test in test_sip_carrier_call.py, run over both.) A TCP caller hanging up
in the queue is an abandon; a phone registers over TCP and is rung over that connection; and
garbage on a TCP connection closes it without harming the calls."""

from __future__ import annotations

import asyncio
import socket

import pytest
from sip_carrier_support import (
    PASSWORDS,
    carrier_center,
    prepare_sipp_dir,
    run_sipp,
    sipp_available,
    start_harness,
    start_sipp,
    telephony_def,
)

from acd import events as ev
from telephony.sip.builders import build_request, build_response, new_branch, new_tag
from telephony.sip.digest import authorize, choose_challenge
from telephony.sip.headers import Via
from telephony.sip.message import SipMessage, SipRequest, SipResponse, parse_message
from telephony.sip.transport import StreamFramer
from telephony.sip.uri import NameAddr, SipUri

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not sipp_available(), reason="sipp or its pcaps are not installed"),
]
TCP = ("-t", "t1")
TCP_PARAM: dict[str, str | None] = {"transport": "tcp"}


async def test_given_tcp_caller_waiting_when_it_hangs_up_then_abandon(tmp_path):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        code, errors = await run_sipp(
            work, "caller_waits.xml", harness.address, "-s", "200", "-d", "2000", *TCP
        )
        (abandoned,) = await harness.wait_for(ev.CallAbandoned)
    finally:
        await harness.close()
    assert code == 0, errors
    assert abandoned.queue == "support"
    assert harness.stack.tcp is not None
    assert harness.stack.tcp.stats.delivered >= 3  # INVITE, ACK, BYE came over TCP


async def test_given_phone_registered_over_tcp_when_offered_then_rung_on_that_connection(
    tmp_path,
):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    phone = await TcpPhone.connect(harness.address, "1001", PASSWORDS["1001"])
    try:
        assert await phone.register() == 200
        contact = harness.stack.phones.contact("1001")
        assert contact is not None
        assert harness.stack.tcp is not None
        assert harness.stack.tcp.connected((contact.host, contact.port))
        harness.login("a1")
        await harness.wait_for(ev.AgentStateChanged, agent_id="a1", state="available")
        caller = await start_sipp(work, "hung_up_on.xml", harness.address, "-s", "200")
        invite = await phone.answer()
        (connected,) = await harness.wait_for(ev.CallConnected)
        assert harness.stack.carrier.hang_up(connected.call_id, "a1")
        bye = await phone.bye_received()
        _, stderr = await asyncio.wait_for(caller.communicate(), 30)
    finally:
        await phone.close()
        await harness.close()
    assert invite.top_via.transport == "TCP"
    assert bye.top_via.transport == "TCP"
    assert caller.returncode == 0, stderr.decode(errors="replace")
    assert connected.agent_id == "a1"


async def test_given_garbage_on_a_tcp_connection_when_sent_then_closed_and_calls_still_work(
    tmp_path,
):
    harness = await start_harness(carrier_center(), telephony_def(tmp_path))
    work = prepare_sipp_dir(tmp_path)
    try:
        reader, writer = await asyncio.open_connection(*harness.address)
        writer.write(b"INVITE x\r\n" + b"A" * 70_000 + b"\r\n\r\n")
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), 10)  # EOF: the carrier hung up on it
        writer.close()
        code, errors = await run_sipp(
            work, "caller_waits.xml", harness.address, "-s", "200", "-d", "1000", *TCP
        )
        await harness.wait_for(ev.CallAbandoned)
    finally:
        await harness.close()
    assert closed == b""
    assert code == 0, errors


class TcpPhone:
    """An agent's phone on one TCP connection, written with the SIP layer's own message and
    digest code: SIPp cannot register and then take calls on the same connection, which is what
    a TCP phone does (RFC 3261 §18, connection reuse)."""

    def __init__(self, reader, writer, extension: str, password: str) -> None:
        self.reader, self.writer = reader, writer
        self.extension, self.password = extension, password
        self.host, self.port = writer.get_extra_info("sockname")[:2]
        self.server = writer.get_extra_info("peername")[:2]
        self._framer = StreamFramer()
        self._frames: list[bytes] = []
        self._tag = new_tag()
        self._media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._media.bind(("127.0.0.1", 0))

    @classmethod
    async def connect(cls, server: tuple[str, int], extension: str, password: str) -> TcpPhone:
        reader, writer = await asyncio.open_connection(*server)
        return cls(reader, writer, extension, password)

    async def register(self) -> int:
        """REGISTER, answer the digest challenge; the final status."""
        first = self._register(1, [])
        self._send(first)
        challenge = await self._next()
        assert isinstance(challenge, SipResponse)
        assert challenge.status == 401
        chosen = choose_challenge(challenge.headers.get_all("www-authenticate"))
        assert chosen is not None
        credentials = authorize(
            chosen, method="REGISTER", uri=first.uri, username=self.extension,
            password=self.password, cnonce="tcp-phone",
        )  # fmt: skip
        self._send(self._register(2, [("Authorization", str(credentials))]))
        final = await self._next()
        assert isinstance(final, SipResponse)
        return final.status

    async def answer(self) -> SipRequest:
        """Take the next INVITE and answer it with our SDP; wait for the ACK."""
        invite = await self._next()
        assert isinstance(invite, SipRequest)
        assert invite.method == "INVITE"
        port = self._media.getsockname()[1]
        sdp = (
            f"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        contact = ("Contact", f"<sip:{self.extension}@{self.host}:{self.port};transport=tcp>")
        self._send(
            build_response(
                invite, 200, to_tag=self._tag, extra=[contact], body=sdp.encode(),
                content_type="application/sdp",
            )
        )  # fmt: skip
        ack = await self._next()
        assert isinstance(ack, SipRequest)
        assert ack.method == "ACK"
        return invite

    async def bye_received(self) -> SipRequest:
        """Take the BYE and answer 200."""
        bye = await self._next()
        assert isinstance(bye, SipRequest)
        assert bye.method == "BYE"
        self._send(build_response(bye, 200))
        return bye

    async def close(self) -> None:
        self._media.close()
        self.writer.close()

    def _register(self, cseq: int, extra: list[tuple[str, str]]) -> SipRequest:
        host, port = self.server
        aor = NameAddr(SipUri(host, self.extension, port))
        return build_request(
            "REGISTER", f"sip:{host}:{port}", from_addr=aor.with_tag(self._tag), to_addr=aor,
            call_id="tcp-phone-registration", cseq=cseq,
            via=Via("TCP", self.host, self.port, {"branch": new_branch(), "rport": None}),
            contact=NameAddr(SipUri(self.host, self.extension, self.port, params=TCP_PARAM)),
            extra=[("Expires", "3600"), *extra],
        )  # fmt: skip

    def _send(self, message: SipMessage) -> None:
        self.writer.write(bytes(message))

    async def _next(self) -> SipMessage:
        while not self._frames:
            data = await asyncio.wait_for(self.reader.read(65536), 20)
            assert data, "the carrier closed the connection"
            self._frames += [f for f in self._framer.feed(data) if f != b"\r\n"]
        return parse_message(self._frames.pop(0))
