"""The SIP endpoint on real sockets: SIPp 3.6.1 calling a tiny UAS built from the SIP layer,
our client transactions calling `sipp -sn uas`, TCP framing, and a fuzz of more than 10,000
malformed or random datagrams at the running UDP endpoint (it keeps answering; memory stays
flat)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from acd.clock import RealClock
from telephony.sip.builders import build_request, build_response, new_branch, new_tag
from telephony.sip.dialog import Dialog, incoming_dialog_id
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.headers import Via
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.transaction import TimerSettings, TransactionKey, cancel_target_key
from telephony.sip.transport import Peer, TcpTransport, UdpTransport, open_udp
from telephony.sip.uri import NameAddr, SipUri

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed"),
]

DATA = Path(__file__).parents[1] / "data" / "sip"
SDP = (
    b"v=0\r\no=hotline 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


class TinyUas:
    """A UAS core in a few lines: answers OPTIONS, INVITE (180 then 200), BYE and CANCEL.

    With `record=False` it keeps nothing (no dialogs, no history), so a fuzz measures the stack.
    """

    def __init__(self, *, record: bool = True) -> None:
        self.record = record
        self.endpoint: SipEndpoint | None = None
        self.contact = NameAddr(SipUri("127.0.0.1", "uas"))
        self.dialogs: dict[tuple[str, str, str], Dialog] = {}
        self.pending: dict[TransactionKey, SipRequest] = {}
        self.seen: list[str] = []
        self.responses: list[SipResponse] = []

    def on_request(self, request: SipRequest, key: TransactionKey | None, peer: Peer) -> None:
        if self.record:
            self.seen.append(request.method)
        if key is None:  # ACK for our 2xx
            return
        handler = {"INVITE": self._invite, "BYE": self._bye, "CANCEL": self._cancel}
        handler.get(request.method, self._ok)(request, key)

    def on_response(self, response: SipResponse, key: TransactionKey | None, peer: Peer) -> None:
        if self.record:
            self.responses.append(response)

    def _ok(self, request: SipRequest, key: TransactionKey) -> None:
        assert self.endpoint is not None
        self.endpoint.respond(key, build_response(request, 200, to_tag=new_tag()))

    def _invite(self, request: SipRequest, key: TransactionKey) -> None:
        assert self.endpoint is not None
        tag = new_tag()
        self.endpoint.respond(key, build_response(request, 180, to_tag=tag))
        dialog = Dialog.as_uas(request, tag, self.contact, confirmed=True)
        if self.record:
            self.dialogs[dialog.id] = dialog
        ok = build_response(
            request,
            200,
            to_tag=tag,
            extra=[("Contact", str(self.contact))],
            body=SDP,
            content_type="application/sdp",
        )
        self.endpoint.respond(key, ok)

    def _bye(self, request: SipRequest, key: TransactionKey) -> None:
        assert self.endpoint is not None
        dialog = self.dialogs.pop(incoming_dialog_id(request), None)
        status = 481 if dialog is None else dialog.receive_request(request) or 200
        self.endpoint.respond(key, build_response(request, status, to_tag=new_tag()))

    def _cancel(self, request: SipRequest, key: TransactionKey) -> None:
        assert self.endpoint is not None
        self.endpoint.respond(key, build_response(request, 200, to_tag=new_tag()))
        invite = self.pending.pop(cancel_target_key(request), None)
        if invite is not None:
            self.endpoint.respond(cancel_target_key(request), build_response(invite, 487))


async def start_uas(
    settings: TimerSettings | None = None, *, record: bool = True
) -> tuple[TinyUas, UdpTransport]:
    uas = TinyUas(record=record)
    endpoint = SipEndpoint(RealClock(), uas, settings=settings)
    uas.endpoint = endpoint
    transport = await open_udp(endpoint.receive, symmetric=True)
    endpoint.attach(transport)
    host, port = transport.local_address
    uas.contact = NameAddr(SipUri(host, "uas", port))
    return uas, transport


async def run_sipp(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "sipp", *args, "-nostdin", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stderr.decode(errors="replace")


async def test_given_tiny_uas_when_sipp_uac_places_calls_then_all_complete():
    uas, transport = await start_uas()
    host, port = transport.local_address
    try:
        code, errors = await run_sipp(
            "-sn", "uac", f"{host}:{port}", "-s", "2001", "-i", "127.0.0.1",
            "-m", "10", "-r", "20", "-d", "200", "-timeout", "30", "-timeout_error",
        )  # fmt: skip
    finally:
        transport.close()
    assert code == 0, errors
    assert uas.seen.count("INVITE") == 10
    assert uas.seen.count("ACK") == 10
    assert uas.seen.count("BYE") == 10
    assert uas.dialogs == {}
    assert transport.stats.dropped == 0


def udp_ports_of(pid: int) -> list[int]:
    """The UDP ports a process has bound, read from /proc (no probing of free ports)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match.group(1))
    ports = []
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            ports.append(int(fields[1].split(":")[1], 16))
    return ports


async def sipp_uas_port(process: asyncio.subprocess.Process) -> int:
    for _ in range(100):
        ports = [p for p in udp_ports_of(process.pid) if p not in (6000, 6001)]
        if ports:
            return ports[0]
        await asyncio.sleep(0.05)
    raise AssertionError("sipp did not bind a SIP port")


async def test_given_sipp_uas_when_our_transactions_call_it_then_dialog_completes():
    process = await asyncio.create_subprocess_exec(
        "sipp", "-sn", "uas", "-i", "127.0.0.1", "-m", "1", "-nostdin", "-timeout", "30",
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    uac, transport = await start_uas()
    assert uac.endpoint is not None
    try:
        peer = ("127.0.0.1", await sipp_uas_port(process))
        host, port = transport.local_address
        invite = build_request(
            "INVITE",
            f"sip:service@{peer[0]}:{peer[1]}",
            from_addr=NameAddr(SipUri(host, "hotline")).with_tag(new_tag()),
            to_addr=NameAddr(SipUri(peer[0], "service", peer[1])),
            call_id=f"{new_branch()}@{host}",
            cseq=1,
            via=Via("UDP", host, port, {"branch": new_branch(), "rport": None}),
            contact=uac.contact,
            body=SDP,
            content_type="application/sdp",
        )
        uac.endpoint.send_request(invite, peer)
        ok = await wait_for_response(uac, 200, "INVITE")
        dialog = Dialog.as_uac(invite, ok)
        via = Via("UDP", host, port, {"branch": new_branch(), "rport": None})
        uac.endpoint.send_stateless(dialog.ack(via, invite.cseq.number), peer)
        await asyncio.sleep(0.1)
        bye_via = Via("UDP", host, port, {"branch": new_branch(), "rport": None})
        uac.endpoint.send_request(dialog.bye(bye_via), peer)
        await wait_for_response(uac, 200, "BYE")
        code = await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        transport.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0
    assert [r.status for r in uac.responses if r.cseq.method == "INVITE"][-1] == 200
    assert 180 in [r.status for r in uac.responses]


async def wait_for_response(uas: TinyUas, status: int, method: str) -> SipResponse:
    for _ in range(200):
        for response in uas.responses:
            if response.status == status and response.cseq.method == method:
                return response
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {status} to {method}")


# --- TCP ---------------------------------------------------------------------------------------


async def test_given_tcp_endpoint_when_request_arrives_in_pieces_then_answered_on_same_connection():
    uas = TinyUas()
    endpoint = SipEndpoint(RealClock(), uas)
    uas.endpoint = endpoint
    tcp = TcpTransport(endpoint.receive)
    endpoint.attach(tcp)
    host, port = await tcp.listen()
    options = (DATA / "options-folded.sip").read_bytes()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"\r\n\r\n" + options[:40])  # keep-alives, then a message in two pieces
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(options[40:] + options)  # the rest, and the request once more
        await writer.drain()
        for _ in range(2):  # on TCP timer J is 0: the copy is a new request, answered again
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            response = SipResponse.parse(head)
            assert (response.status, response.call_id) == (200, "options-1@192.0.2.44")
        writer.write(b"X" * 70_000)  # no end of headers in sight: the connection is closed
        await writer.drain()
        # Closed with our bytes unread, the kernel may reset instead of sending a FIN.
        with contextlib.suppress(ConnectionResetError):
            assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    finally:
        writer.close()
        await tcp.close()
    assert uas.seen == ["OPTIONS", "OPTIONS"]
    assert tcp.stats.keepalives == 2
    assert tcp.stats.dropped == 1


# --- fuzz ----------------------------------------------------------------------------------------


async def answer_to(sock: socket.socket, call_id: str) -> SipResponse:
    """The first response for `call_id` on `sock`, skipping the 400s to earlier garbage."""
    while True:
        data = await asyncio.get_running_loop().sock_recv(sock, 65535)
        response = SipResponse.parse(data)
        if response.call_id == call_id:
            return response


def garbage(rng: random.Random, samples: list[bytes]) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 1400))
    data = bytearray(rng.choice(samples))
    if kind == 1:  # truncated
        return bytes(data[: rng.randrange(len(data))])
    for _ in range(rng.randint(1, 10)):
        at = rng.randrange(len(data))
        if kind == 2:
            data[at] = rng.randrange(256)
        else:
            data[at:at] = rng.choice([b"\r\n", b";", b",", b"<", b'"', b":", b"\x00", b"9" * 11])
    return bytes(data)


async def test_given_12000_malformed_datagrams_when_sent_then_endpoint_survives_and_memory_flat():
    samples = [p.read_bytes() for p in sorted(DATA.glob("*.sip"))]
    rng = random.Random(3261)
    uas, transport = await start_uas(TimerSettings(t1=0.01, t2=0.04, t4=0.05), record=False)
    host, port = transport.local_address
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    sender.setblocking(False)

    async def blast(count: int) -> None:
        sent = transport.stats.received
        for n in range(1, count + 1):
            sender.sendto(garbage(rng, samples), (host, port))
            if n % 20 == 0:  # let the endpoint catch up: the socket buffer is finite
                for _ in range(1000):
                    if transport.stats.received >= sent + n:
                        break
                    await asyncio.sleep(0)
        await asyncio.sleep(1.0)  # transactions opened by lucky mutations end (64*T1 = 0.64 s)

    try:
        tracemalloc.start()
        await blast(2_000)  # warm-up: caches, logging, the first transactions
        before = tracemalloc.get_traced_memory()[0]
        await blast(10_000)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert uas.endpoint is not None
        live_transactions = len(uas.endpoint.runner.layer)
        probe = (DATA / "options-folded.sip").read_bytes().replace(b"options-1@", b"probe@")
        sender.sendto(probe, (host, port))
        answer = await asyncio.wait_for(answer_to(sender, "probe@192.0.2.44"), 5)
    finally:
        tracemalloc.stop()
        sender.close()
        transport.close()
    stats = transport.stats
    received = stats.delivered + stats.dropped + stats.answered_bad_request + stats.keepalives
    assert stats.received >= 12_000
    assert received == stats.received
    assert stats.handler_errors == 0
    assert stats.answered_bad_request > 0
    assert answer.status == 200
    assert live_transactions == 0
    print(f"fuzz: {stats}; traced memory {before} -> {after} bytes")
    assert after - before < 64 * 1024, f"grew by {after - before} bytes over 10,000 datagrams"
